"""Every state change of the residents' council.

Each function takes keyword arguments, runs inside `transaction.atomic`, checks the actor's
permission (`deliberation.permissions`: role -> 403 NotAllowed, then state -> 409 Conflict),
writes a Wagtail audit entry and publishes live events (written in the same transaction,
pushed after commit).

Races are settled by the database:
- a vote is one `INSERT ... ON CONFLICT (proposal_id, voter_id) DO UPDATE` under the unique
  constraint; while it is written the voter holds a `FOR KEY SHARE` lock on the proposal row
  (PostgreSQL), so that the decision, which takes `FOR UPDATE` on that row, either counts the
  vote or the vote sees the closed window and is refused with 409;
- every status change locks the proposal row (`SELECT ... FOR UPDATE OF proposal`) and
  re-checks the status, so that two staff deciding at once create exactly one task.
"""

import contextlib
import contextvars
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from accounts.permissions import is_signed_in
from communities.models import Community
from communities.services import assisted_resident
from core import ratelimit
from core.drafts import FiledOnce, already_filed
from core.errors import Conflict, NotAllowed
from core.images import CleanImage, clean_image
from live.services import publish
from live.texts import localized, pick
from teams.models import Task

from . import permissions as perms
from .models import (
    CATEGORY_SKILLS,
    MAX_PHOTOS,
    AgendaItem,
    Category,
    Comment,
    Council,
    Follow,
    Meeting,
    Proposal,
    ProposalPhoto,
    Report,
    Vote,
)
from .tally import Result, Tally, decide

logger = logging.getLogger(__name__)

S = Proposal.Status

# action -> (how many, per how many seconds), per person. settings.DELIBERATION_RATE_LIMITS
# overrides single entries; None switches one off. Votes have no limit of their own by default:
# the write ceiling every page and API write passes (core.ratelimit, WRITE_RATE_LIMITS) already
# counts them per person, and a second count would cost every vote two more cache round trips.
DEFAULT_RATE_LIMITS = {
    "proposal": (10, 3600),
    "comment": (30, 600),
    "vote": None,
    "report": (30, 3600),
}
DEFAULT_REPORTS_TO_HIDE = 3

# --- helpers -----------------------------------------------------------------------------------


def check_rate(*, user, action: str) -> None:
    """Count one `action` for `user`; RateLimited (429, retry_after) beyond the limit."""
    limits = {**DEFAULT_RATE_LIMITS, **getattr(settings, "DELIBERATION_RATE_LIMITS", {})}
    if user is None or user.pk is None:
        return
    ratelimit.hit(key=f"deliberation:{action}:{user.pk}", limit=limits.get(action))


def reports_to_hide() -> int:
    return int(getattr(settings, "DELIBERATION_REPORTS_TO_HIDE", DEFAULT_REPORTS_TO_HIDE))


def clean_text(value, *, field: str, max_length: int, required: bool = True) -> str:
    """Strip, refuse NUL and other control characters, check length. Field-keyed errors."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: [gettext("Enter text.")]})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: [gettext("This field is required.")]})
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise ValidationError(
            {field: [gettext("The text contains characters that are not allowed.")]}
        )
    if len(value) > max_length:
        raise ValidationError(
            {
                field: [
                    gettext("Use at most %(max)d characters (now %(length)d).")
                    % {"max": max_length, "length": len(value)}
                ]
            }
        )
    return value


def _clean_category(value) -> str:
    if value not in Category.values:
        raise ValidationError({"category": [gettext("Choose one of the listed categories.")]})
    return value


def _locked(proposal: Proposal, *, no_key: bool = False) -> Proposal:
    """Lock the proposal row and refresh `proposal` (its cached relations stay)."""
    fresh = Proposal.objects.select_for_update(of=("self",), no_key=no_key).get(pk=proposal.pk)
    for field in Proposal._meta.concrete_fields:
        setattr(proposal, field.attname, getattr(fresh, field.attname))
    return proposal


def _voting_state(proposal_id: int):
    """(status, hidden, opens, closes) read under FOR KEY SHARE on PostgreSQL.

    Voters do not block each other; the decision's FOR UPDATE waits for them (and they wait
    for it), so no vote can slip in after the count.
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Proposal._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT status, hidden, voting_opens_at, voting_closes_at FROM {table} "
                "WHERE id = %s FOR KEY SHARE",
                [proposal_id],
            )
            return cursor.fetchone()
    return (
        Proposal.objects.filter(pk=proposal_id)
        .values_list("status", "hidden", "voting_opens_at", "voting_closes_at")
        .first()
    )


def _audit(instance, action: str, actor, **data):
    log(instance=instance, action=action, user=actor if is_signed_in(actor) else None, data=data)


def proposal_topic(proposal) -> str:
    return f"proposal:{proposal.pk if isinstance(proposal, Proposal) else proposal}"


def task_summary(task) -> dict | None:
    if task is None:
        return None
    team = None
    if task.team_id:
        team = {"id": task.team_id, "name": task.team.name}
    return {"id": task.pk, "status": task.status, "team": team}


# --- notifications -----------------------------------------------------------------------------

NOTICES = {
    "published": _("Your followed proposal “%(title)s” is now open for discussion."),
    "returned": _("The proposal “%(title)s” was returned to its author: %(reason)s"),
    "voting_opened": _("Voting on “%(title)s” has opened and closes on %(closes)s."),
    "accepted": _("“%(title)s” was accepted. A follow-up task has been created."),
    "rejected": _("“%(title)s” was not accepted."),
    "withdrawn": _("“%(title)s” was withdrawn by its author."),
    "assisted": _("Community staff filed the proposal “%(title)s” for you at the service station."),
    "task_claimed": _("The follow-up work of “%(title)s” was taken on by %(team)s."),
    "task_done": _("%(team)s reports the follow-up work of “%(title)s” as done."),
    "task_verified": _("Staff confirmed that the follow-up work of “%(title)s” is done."),
    "vote_recorded": _("%(staff)s recorded your vote on “%(title)s”: %(choice)s."),
}


def notice_texts(kind: str, proposal: Proposal, **values) -> dict[str, str]:
    """The notification text in every offered language, {code: text} (live.texts): followers
    share it and each reads it in their own language; times are formatted per language."""
    return localized(NOTICES[kind], {"title": proposal.title, **values})


def notice_text(kind: str, proposal: Proposal, **values) -> str:
    """The notification text in the site's language (the e-mails are written in it)."""
    return notice_texts(kind, proposal, **values)[settings.LANGUAGE_CODE]


_emails_off: contextvars.ContextVar[bool] = contextvars.ContextVar("emails_off", default=False)


@contextlib.contextmanager
def without_emails():
    """Notify in the app only (the demo loader uses it: no console e-mail flood)."""
    token = _emails_off.set(True)
    try:
        yield
    finally:
        _emails_off.reset(token)


def notify_followers(*, proposal: Proposal, kind: str, actor=None, **values) -> list[int]:
    """In-app notice on each follower's `user:<id>` topic, e-mail in the background.

    The actor is not notified of their own action. Returns the notified user ids.
    """
    texts = notice_texts(kind, proposal, **values)
    text = texts[settings.LANGUAGE_CODE]
    url = proposal.get_absolute_url()
    follower_ids = list(
        Follow.objects.filter(proposal=proposal, user__is_active=True)
        .exclude(user_id=getattr(actor, "pk", None))
        .values_list("user_id", flat=True)
    )
    data = {
        "text": text,
        "texts": texts,
        "kind": kind,
        "proposal": {"id": proposal.pk, "title": proposal.title},
        "url": url,
    }
    for user_id in follower_ids:
        publish(topic=f"user:{user_id}", type=f"proposal.{kind}", data=data, actor=actor)
    if follower_ids and not _emails_off.get():
        from .tasks import send_notice_emails

        transaction.on_commit(
            lambda: send_notice_emails.enqueue(
                user_ids=follower_ids, subject=proposal.title, text=text, url=url
            )
        )
    return follower_ids


def _follow(user, proposal) -> None:
    if is_signed_in(user):
        Follow.objects.get_or_create(user=user, proposal=proposal)


# --- photos ------------------------------------------------------------------------------------


def clean_photo(file) -> CleanImage:
    """The one photo check of the site (core.images.clean_image), reported on `photos`."""
    try:
        return clean_image(file)
    except ValidationError as error:
        raise ValidationError({"photos": error.messages}, code=error.code) from None


def _add_photos(proposal: Proposal, files, actor) -> list[ProposalPhoto]:
    files = [f for f in (files or []) if f]
    if not files:
        return []
    existing = ProposalPhoto.objects.filter(proposal=proposal).count()
    if existing + len(files) > MAX_PHOTOS:
        raise ValidationError(
            {
                "photos": [
                    gettext("A proposal may have at most %(max)d photos.") % {"max": MAX_PHOTOS}
                ]
            }
        )
    cleaned = [clean_photo(file) for file in files]
    return [
        ProposalPhoto.objects.create(
            proposal=proposal, image=image.original, rendition=image.rendition, uploaded_by=actor
        )
        for image in cleaned
    ]


def add_photos(*, actor, proposal: Proposal, files) -> list[ProposalPhoto]:
    if not perms.may_edit(actor, proposal):
        raise NotAllowed()
    with transaction.atomic():
        _locked(proposal)  # serialises uploads, so the limit of 4 holds
        if proposal.status not in Proposal.EDITABLE or proposal.hidden:
            raise Conflict(_("Photos can be changed only before the proposal is published."))
        photos = _add_photos(proposal, files, actor)
        _audit(proposal, "linli.proposal.edit", actor, photos_added=len(photos))
    return photos


def remove_photo(*, actor, photo: ProposalPhoto) -> None:
    proposal = photo.proposal
    if not perms.may_edit(actor, proposal):
        raise NotAllowed()
    with transaction.atomic():
        _locked(proposal)
        if proposal.status not in Proposal.EDITABLE or proposal.hidden:
            raise Conflict(_("Photos can be changed only before the proposal is published."))
        photo_id = photo.pk
        files = [f for f in (photo.image, photo.rendition) if f]
        photo.delete()
        _audit(proposal, "linli.proposal.edit", actor, photo_removed=photo_id)

        def delete_files():
            for file in files:
                file.storage.delete(file.name)

        # A removed photo leaves no file behind, once the removal is certain.
        transaction.on_commit(delete_files)


# --- proposals ---------------------------------------------------------------------------------


def create_proposal(
    *,
    actor,
    community: Community,
    title,
    body,
    category="other",
    location="",
    photos=(),
    submit: bool = True,
    on_behalf_of=None,
    client_key=None,
) -> Proposal:
    """A verified member proposes; `submit=False` keeps it as a draft.

    With `on_behalf_of`, staff file it for a verified member who came to the service station:
    the resident is the author and follows it, the proposal is marked assisted and records
    who filed it (audited as `linli.proposal.assisted`)."""
    on_behalf_of = assisted_resident(
        actor=actor,
        community=community,
        on_behalf_of=on_behalf_of,
        refused=_("Only community staff can file a proposal for a resident."),
    )
    assisted = on_behalf_of is not None
    if not assisted and not perms.may_propose(actor, community):
        raise NotAllowed(_("Only verified residents of this community can make proposals."))
    council = Council.objects.filter(community=community).first()
    if council is None:
        raise Conflict(_("This community has no residents' council yet."), code="no_council")
    # A phone's draft sent again (client_key, see core/drafts.py) gets the proposal it made.
    author = on_behalf_of if assisted else actor
    existing = already_filed(Proposal, author=author, client_key=client_key)
    if existing is not None:
        return existing
    fields = {
        "title": clean_text(title, field="title", max_length=120),
        "body": clean_text(body, field="body", max_length=5000),
        "category": _clean_category(category),
        "location": clean_text(location, field="location", max_length=200, required=False),
    }
    # An assisted proposal counts for the resident: a busy service station is not held to
    # one staff member's personal limit.
    check_rate(user=on_behalf_of if assisted else actor, action="proposal")
    now = timezone.now()
    once = FiledOnce(Proposal, author=author, client_key=client_key)
    with once, transaction.atomic():
        proposal = Proposal.objects.create(
            council=council,
            author=author,
            client_key=client_key,
            assisted=assisted,
            recorded_by=actor if assisted else None,
            status=S.SUBMITTED if submit else S.DRAFT,
            submitted_at=now if submit else None,
            **fields,
        )
        proposal.council = council
        _add_photos(proposal, photos, actor)
        if assisted:
            _follow(on_behalf_of, proposal)
            _audit(
                proposal,
                "linli.proposal.assisted",
                actor,
                status=proposal.status,
                resident=on_behalf_of.pk,
            )
            notify_followers(proposal=proposal, kind="assisted", actor=actor)
        else:
            _follow(actor, proposal)
            _audit(proposal, "linli.proposal.create", actor, status=proposal.status)
    if once.existing is not None:
        return once.existing
    return proposal


def edit_proposal(*, actor, proposal: Proposal, **changes) -> Proposal:
    """The author edits title, body, category, location while draft or submitted."""
    allowed = {"title": 120, "body": 5000, "location": 200}
    unknown = set(changes) - set(allowed) - {"category"}
    if unknown:
        raise ValidationError(
            {name: [gettext("This field cannot be changed.")] for name in unknown}
        )
    if not perms.may_edit(actor, proposal):
        raise NotAllowed(_("Only the author can edit a proposal."))
    cleaned = {}
    for name, value in changes.items():
        if value is None:
            continue
        if name == "category":
            cleaned[name] = _clean_category(value)
        else:
            cleaned[name] = clean_text(
                value, field=name, max_length=allowed[name], required=name != "location"
            )
    with transaction.atomic():
        _locked(proposal)
        if proposal.status not in Proposal.EDITABLE or proposal.hidden:
            raise Conflict(_("A proposal can be edited only before it is published."))
        for name, value in cleaned.items():
            setattr(proposal, name, value)
        if cleaned:
            proposal.save(update_fields=[*cleaned, "updated_at"])
            _audit(proposal, "linli.proposal.edit", actor, fields=sorted(cleaned))
    return proposal


def submit_proposal(*, actor, proposal: Proposal) -> Proposal:
    if not perms.may_edit(actor, proposal):
        raise NotAllowed(_("Only the author can submit a proposal."))
    with transaction.atomic():
        _locked(proposal)
        if proposal.status != S.DRAFT or proposal.hidden:
            raise Conflict(_("Only a draft can be submitted."))
        proposal.status = S.SUBMITTED
        proposal.submitted_at = timezone.now()
        proposal.save(update_fields=["status", "submitted_at", "updated_at"])
        _audit(proposal, "linli.proposal.submit", actor)
    return proposal


def _judge_guard(actor, proposal: Proposal, message) -> None:
    """Staff judge proposals (perms.may_judge), never one they wrote or filed themselves."""
    if perms.may_review(actor, proposal) and perms.is_own_proposal(actor, proposal):
        raise NotAllowed(
            _("Another staff member must do this: the proposal is your own."), code="own_work"
        )
    if not perms.may_judge(actor, proposal):
        raise NotAllowed(message)


def publish_proposal(*, actor, proposal: Proposal) -> Proposal:
    """Staff: submitted -> discussion. Everyone can see it from now on."""
    _judge_guard(actor, proposal, _("Only community staff can publish proposals."))
    with transaction.atomic():
        _locked(proposal)
        if proposal.status != S.SUBMITTED:
            raise Conflict(_("Only a submitted proposal can be published."))
        proposal.status = S.DISCUSSION
        proposal.published_at = timezone.now()
        proposal.published_by = actor
        proposal.return_reason = ""
        proposal.save(
            update_fields=["status", "published_at", "published_by", "return_reason", "updated_at"]
        )
        _audit(proposal, "linli.proposal.publish", actor)
        publish(
            topic=proposal_topic(proposal),
            type="proposal.published",
            data={"status": proposal.status},
            actor=actor,
        )
        if not proposal.hidden:
            publish(
                topic=f"community:{proposal.council.community_id}",
                type="proposal.published",
                data={
                    "proposal": {
                        "id": proposal.pk,
                        "title": proposal.title,
                        "category": proposal.category,
                    },
                    "url": proposal.get_absolute_url(),
                },
                actor=actor,
            )
        notify_followers(proposal=proposal, kind="published", actor=actor)
    return proposal


def return_proposal(*, actor, proposal: Proposal, reason) -> Proposal:
    """Staff send a submitted proposal back to its author as a draft, saying why."""
    _judge_guard(actor, proposal, _("Only community staff can return proposals."))
    reason = clean_text(reason, field="reason", max_length=500)
    with transaction.atomic():
        _locked(proposal)
        if proposal.status != S.SUBMITTED:
            raise Conflict(_("Only a submitted proposal can be returned."))
        proposal.status = S.DRAFT
        proposal.return_reason = reason
        proposal.submitted_at = None
        proposal.save(update_fields=["status", "return_reason", "submitted_at", "updated_at"])
        _audit(proposal, "linli.proposal.return", actor, reason=reason)
        notify_followers(proposal=proposal, kind="returned", actor=actor, reason=reason)
    return proposal


def withdraw_proposal(*, actor, proposal: Proposal, reason="") -> Proposal:
    """The author withdraws before the vote opens."""
    if not perms.may_withdraw(actor, proposal):
        raise NotAllowed(_("Only the author can withdraw a proposal."))
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    with transaction.atomic():
        _locked(proposal)
        if proposal.status not in Proposal.WITHDRAWABLE:
            raise Conflict(_("A proposal can be withdrawn only before the vote opens."))
        was_published = proposal.is_published
        proposal.status = S.WITHDRAWN
        proposal.withdraw_reason = reason
        proposal.save(update_fields=["status", "withdraw_reason", "updated_at"])
        _audit(proposal, "linli.proposal.withdraw", actor, reason=reason)
        if was_published:
            publish(
                topic=proposal_topic(proposal),
                type="proposal.withdrawn",
                data={"status": proposal.status},
                actor=actor,
            )
            notify_followers(proposal=proposal, kind="withdrawn", actor=actor)
    return proposal


def _close_reports(*, actor, status: str, proposal=None, comment=None) -> int:
    qs = Report.objects.filter(status=Report.Status.OPEN)
    qs = qs.filter(proposal=proposal) if proposal is not None else qs.filter(comment=comment)
    return qs.update(status=status, reviewed_by=actor, reviewed_at=timezone.now())


def hide_proposal(*, actor, proposal: Proposal, reason) -> Proposal:
    """Staff hide a proposal from everyone but its author and staff, with a reason."""
    _judge_guard(actor, proposal, _("Only community staff can hide proposals."))
    reason = clean_text(reason, field="reason", max_length=500)
    with transaction.atomic():
        _locked(proposal)
        was_hidden = proposal.hidden
        proposal.hidden = True
        proposal.hidden_reason = reason
        proposal.hidden_by = actor
        proposal.hidden_at = timezone.now()
        proposal.save(
            update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at", "updated_at"]
        )
        upheld = _close_reports(actor=actor, status=Report.Status.UPHELD, proposal=proposal)
        _audit(
            proposal,
            "linli.proposal.hide",
            actor,
            reason=reason,
            reports_upheld=upheld,
            confirmed=was_hidden,
        )
        if not was_hidden:
            publish(topic=proposal_topic(proposal), type="proposal.hidden", data={}, actor=actor)
    return proposal


def restore_proposal(*, actor, proposal: Proposal, reason="") -> Proposal:
    """Staff show a hidden proposal again; open reports on it are dismissed."""
    _judge_guard(actor, proposal, _("Only community staff can restore proposals."))
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    with transaction.atomic():
        _locked(proposal)
        if not proposal.hidden:
            raise Conflict(_("This proposal is not hidden."))
        proposal.hidden = False
        proposal.hidden_reason = ""
        proposal.hidden_by = None
        proposal.hidden_at = None
        proposal.save(
            update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at", "updated_at"]
        )
        dismissed = _close_reports(actor=actor, status=Report.Status.DISMISSED, proposal=proposal)
        _audit(
            proposal, "linli.proposal.restore", actor, reason=reason, reports_dismissed=dismissed
        )
        publish(topic=proposal_topic(proposal), type="proposal.restored", data={}, actor=actor)
    return proposal


# --- voting ------------------------------------------------------------------------------------


def count_votes(proposal) -> Tally:
    """The tally from the vote rows (one query, plain SQL: it runs on every vote)."""
    table = connection.ops.quote_name(Vote._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT choice, COUNT(*) FROM {table} WHERE proposal_id = %s GROUP BY choice",
            [proposal.pk if isinstance(proposal, Proposal) else proposal],
        )
        counts = dict(cursor.fetchall())
    return Tally(
        support=counts.get("support", 0),
        oppose=counts.get("oppose", 0),
        abstain=counts.get("abstain", 0),
    )


def open_voting(*, actor, proposal: Proposal, closes_at=None) -> Proposal:
    """Staff: discussion -> voting, until `closes_at` or the council's default days."""
    if not perms.may_review(actor, proposal):
        raise NotAllowed(_("Only community staff can open the vote."))
    now = timezone.now()
    council = proposal.council
    if closes_at is None:
        closes_at = now + timedelta(days=council.voting_days)
    else:
        if timezone.is_naive(closes_at):
            closes_at = timezone.make_aware(closes_at)
        if closes_at <= now + timedelta(minutes=1):
            raise ValidationError(
                {"closes_at": [gettext("The closing time must be in the future.")]}
            )
        if closes_at > now + timedelta(days=90):
            raise ValidationError(
                {"closes_at": [gettext("A vote may stay open for at most 90 days.")]}
            )
    with transaction.atomic():
        _locked(proposal)
        if proposal.status != S.DISCUSSION or proposal.hidden:
            raise Conflict(_("The vote can be opened only on a proposal in discussion."))
        proposal.status = S.VOTING
        proposal.voting_opens_at = now
        proposal.voting_closes_at = closes_at
        proposal.save(update_fields=["status", "voting_opens_at", "voting_closes_at", "updated_at"])
        _audit(proposal, "linli.proposal.voting_open", actor, closes_at=closes_at.isoformat())
        publish(
            topic=proposal_topic(proposal),
            type="proposal.voting_opened",
            data={"opens_at": now.isoformat(), "closes_at": closes_at.isoformat()},
            actor=actor,
        )
        notify_followers(proposal=proposal, kind="voting_opened", actor=actor, closes=closes_at)
    return proposal


# What cast_vote and the vote endpoint read of a proposal (with its council): load only these.
VOTING_FIELDS = (
    "id",
    "council",
    "author",
    "recorded_by",
    "title",
    "status",
    "hidden",
    "published_at",
    "voting_opens_at",
    "voting_closes_at",
)


# ... and of its council: the rules, the community and whether the tally is hidden.
VOTING_COUNCIL_FIELDS = (
    "id",
    "community",
    "voters",
    "quorum_kind",
    "quorum_votes",
    "quorum_percent",
    "pass_percent",
    "hide_tally",
)


def proposal_for_voting(proposal_id: int) -> Proposal | None:
    """The proposal with VOTING_FIELDS loaded (the others deferred) and its council, or None."""
    return (
        Proposal.objects.select_related("council")
        .only(*VOTING_FIELDS, *(f"council__{name}" for name in VOTING_COUNCIL_FIELDS))
        .filter(pk=proposal_id)
        .first()
    )


NOT_ELIGIBLE = _("You are not an eligible voter of this council.")
NOT_ELIGIBLE_RESIDENT = _("Staff can record votes only for eligible residents.")


def cast_vote(*, actor, proposal: Proposal, choice, voter=None) -> Vote:
    """One vote per eligible voter, changeable until the close (an upsert under the unique
    constraint). With `voter`, staff record the vote of a resident (assisted). Every vote is
    audited: `linli.vote.cast` for one's own, `linli.vote.assisted` for a recorded one.

    An assisted vote never replaces a vote the resident cast themselves (409 `own_vote`;
    perms.assisted_vote_may_replace, settled by the upsert itself), and the resident is told
    on their `user:<id>` topic of every vote recorded for them."""
    voter = voter or actor
    assisted = voter.pk != getattr(actor, "pk", None)
    if choice not in Vote.Choice.values:
        raise ValidationError({"choice": [gettext("Choose support, oppose or abstain.")]})
    if assisted:
        if perms.may_review(actor, proposal) and perms.is_own_proposal(actor, proposal):
            raise NotAllowed(
                _("Another staff member must do this: the proposal is your own."),
                code="own_work",
            )
        if not perms.may_record_vote_for(actor, proposal, voter):
            raise NotAllowed(NOT_ELIGIBLE_RESIDENT)
    elif not perms.may_vote(actor, proposal):
        raise NotAllowed(NOT_ELIGIBLE)
    check_rate(user=actor, action="vote")
    council = proposal.council
    publish_tally = not council.hide_tally
    with transaction.atomic():
        now = timezone.now()
        row = Vote(
            proposal_id=proposal.pk,
            voter_id=voter.pk,
            choice=choice,
            assisted=assisted,
            recorded_by=actor if assisted else None,
            created_at=now,
            updated_at=now,
        )
        locked = False  # the tally's advisory lock
        if connection.vendor == "postgresql":
            state, row.pk = _upsert_vote(row, now=now, lock_tally=publish_tally)
            locked = publish_tally and row.pk is not None
        else:
            state = _voting_state(proposal.pk)
        if state is None:
            raise Conflict(_("Voting is not open."), code="voting_closed")
        status, hidden, opens_at, closes_at = state
        if (
            status != S.VOTING
            or opens_at is None
            or closes_at is None
            or not (opens_at <= now < closes_at)
        ):
            raise Conflict(_("Voting is not open."), code="voting_closed")
        if hidden and not assisted:
            raise Conflict(_("This proposal is hidden."), code="hidden")
        if assisted and (
            row.pk is None  # PostgreSQL: the upsert kept the resident's own vote
            if connection.vendor == "postgresql"
            else not perms.assisted_vote_may_replace(
                Vote.objects.filter(proposal_id=proposal.pk, voter_id=voter.pk).first()
            )
        ):
            raise Conflict(
                _("%(name)s has voted themselves; an assisted vote cannot replace their own vote.")
                % {"name": voter.get_display_name()},
                code="own_vote",
            )
        if row.pk is None:  # not PostgreSQL: the upsert alone
            Vote.objects.bulk_create(
                [row],
                update_conflicts=True,
                unique_fields=["proposal", "voter"],
                update_fields=["choice", "assisted", "recorded_by", "updated_at"],
            )
            if row.pk is None:  # a backend that does not return it
                row.pk = (
                    Vote.objects.filter(proposal_id=proposal.pk, voter_id=voter.pk)
                    .values_list("pk", flat=True)
                    .get()
                )
        row.proposal, row.voter = proposal, voter  # for the audit label, without queries
        _audit(
            row,
            "linli.vote.assisted" if assisted else "linli.vote.cast",
            actor,
            proposal=proposal.pk,
            voter=voter.pk,
            choice=choice,
        )
        if assisted:
            _notify_vote_recorded(proposal, voter=voter, actor=actor, choice=choice)
        # Counts only, no voter: and none while the council hides the running tally.
        row.tally = _publish_tally(proposal, locked=locked) if publish_tally else None
    return row


def _notify_vote_recorded(proposal: Proposal, *, voter, actor, choice: str) -> None:
    """Tell the resident that staff recorded a vote for them (the vote was written)."""
    texts = notice_texts(
        "vote_recorded",
        proposal,
        staff=actor.get_display_name(),
        choice=Vote.Choice(choice).label,
    )
    publish(
        topic=f"user:{voter.pk}",
        type="proposal.vote_recorded",
        data={
            "text": texts[settings.LANGUAGE_CODE],
            "texts": texts,
            "kind": "vote_recorded",
            "proposal": {"id": proposal.pk, "title": proposal.title},
            "choice": choice,
            "recorded_by": {"id": actor.pk, "display_name": actor.get_display_name()},
            "url": proposal.get_absolute_url(),
        },
        actor=actor,
    )


def _upsert_vote(row: Vote, *, now, lock_tally: bool):
    """PostgreSQL: the window check, the upsert and the tally lock in one statement.

    Under `FOR KEY SHARE` on the proposal row (the decision's `FOR UPDATE` waits for it), the
    row is inserted or updated only while voting is open; then, once the row is written (the
    lock reads the upsert's output, so it comes after the row's own unique-index wait), the
    tally's advisory lock is taken. Returns ((status, hidden, opens, closes) or None, vote id
    or None when nothing was written).
    """
    vote_table = connection.ops.quote_name(Vote._meta.db_table)
    proposal_table = connection.ops.quote_name(Proposal._meta.db_table)
    sql = f"""
        WITH target AS (
            SELECT id, status, hidden, voting_opens_at, voting_closes_at
            FROM {proposal_table} WHERE id = %(proposal)s FOR KEY SHARE
        ), upsert AS (
            INSERT INTO {vote_table} AS v
                (proposal_id, voter_id, choice, assisted, recorded_by_id, created_at, updated_at)
            SELECT id, %(voter)s, %(choice)s, %(assisted)s, %(recorded_by)s, %(now)s, %(now)s
            FROM target
            WHERE status = %(voting)s AND NOT (hidden AND NOT %(assisted)s)
                AND voting_opens_at <= %(now)s AND %(now)s < voting_closes_at
            ON CONFLICT (proposal_id, voter_id) DO UPDATE SET
                choice = EXCLUDED.choice, assisted = EXCLUDED.assisted,
                recorded_by_id = EXCLUDED.recorded_by_id, updated_at = EXCLUDED.updated_at
            -- perms.assisted_vote_may_replace: never over the resident's own vote.
            WHERE v.assisted OR NOT EXCLUDED.assisted
            RETURNING v.id
        ), tally_lock AS (
            SELECT pg_advisory_xact_lock(%(lock)s) FROM upsert WHERE %(lock_tally)s
        )
        SELECT status, hidden, voting_opens_at, voting_closes_at,
            (SELECT id FROM upsert), (SELECT count(*) FROM tally_lock)
        FROM target
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "proposal": row.proposal_id,
                "voter": row.voter_id,
                "choice": row.choice,
                "assisted": row.assisted,
                "recorded_by": row.recorded_by_id,
                "now": now,
                "voting": S.VOTING,
                "lock": TALLY_LOCK_SPACE | row.proposal_id,
                "lock_tally": lock_tally,
            },
        )
        found = cursor.fetchone()
    if found is None:
        return None, None
    return tuple(found[:4]), found[4]


TALLY_LOCK_SPACE = 0x7461 << 48  # "ta": keeps these advisory keys apart from any other use


def _publish_tally(proposal: Proposal, *, locked: bool = False) -> Tally:
    """Count the rows and publish the tally, in the vote's own transaction.

    A transaction-scoped advisory lock per proposal (PostgreSQL) serialises this tail of the
    vote transactions of one proposal until they commit, so each count includes every vote
    committed before it and a later tally event never shows fewer votes. It does not touch
    the row locks, so the decision (FOR UPDATE on the row) cannot deadlock with it. `locked`:
    the caller took it already (`_upsert_vote`), in an earlier statement, so that the count's
    snapshot is newer than the lock.
    """
    if connection.vendor == "postgresql" and not locked:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TALLY_LOCK_SPACE | proposal.pk])
    tally = count_votes(proposal)
    publish(topic=proposal_topic(proposal), type="proposal.tally", data=tally.as_dict())
    return tally


def outcome_summaries(result: Result, rules) -> dict[str, str]:
    """The vote summary of a decision in every offered language, {code: text}."""
    t = result.tally
    parts = [
        localized(
            _(
                "%(support)d support, %(oppose)d oppose, %(abstain)d abstain "
                "(%(total)d votes of %(eligible)d eligible voters)."
            ),
            {**t.as_dict(), "eligible": result.eligible},
        )
    ]
    if not result.quorum_met:
        parts.append(
            localized(
                _("The quorum of %(needed)d votes was not reached."),
                {"needed": result.votes_needed},
            )
        )
    elif not result.threshold_met:
        parts.append(
            localized(
                _("Support did not exceed %(percent)d%% of support and oppose."),
                {"percent": rules.pass_percent},
            )
        )
    else:
        parts.append(
            localized(
                _("Quorum reached; support exceeded %(percent)d%% of support and oppose."),
                {"percent": rules.pass_percent},
            )
        )
    return {code: " ".join(part[code] for part in parts) for code in parts[0]}


def outcome_summary(result: Result, rules) -> str:
    """The vote summary in the site's language (as `Proposal.outcome` stores it)."""
    return outcome_summaries(result, rules)[settings.LANGUAGE_CODE]


def _with_note(note: str, summary: str) -> str:
    return f"{note}\n\n{summary}" if note else summary


def outcome_text(proposal: Proposal) -> str:
    """`proposal.outcome` for the reader, in the active language.

    The decision stores the outcome (staff's note, then the vote summary) in the site's
    language. The summary is written again in the reader's language from the final counts
    when they and the council's rules still give the stored summary; if the rules changed
    since, the outcome is shown as it was stored.
    """
    outcome = proposal.outcome or ""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if (
        not outcome
        or language == settings.LANGUAGE_CODE
        or proposal.final_support is None
        or proposal.final_oppose is None
        or proposal.final_abstain is None
        or proposal.final_eligible is None
    ):
        return outcome
    tally = Tally(
        support=proposal.final_support,
        oppose=proposal.final_oppose,
        abstain=proposal.final_abstain,
    )
    rules = proposal.council.rules
    summaries = outcome_summaries(decide(rules, tally, proposal.final_eligible), rules)
    stored = summaries[settings.LANGUAGE_CODE]
    if not outcome.endswith(stored):
        return outcome
    return outcome[: len(outcome) - len(stored)] + pick(
        {"text": stored, "texts": summaries}, language=language
    )


def decide_proposal(*, actor, proposal: Proposal, outcome="") -> Proposal:
    """Staff close the vote and record the decision by the council's rules.

    The tally is counted from the vote rows under the proposal's row lock; accepting creates
    the follow-up task in the same transaction. A second decision gets 409.
    """
    _judge_guard(actor, proposal, _("Only community staff can record the decision."))
    note = clean_text(outcome, field="outcome", max_length=1500, required=False)
    with transaction.atomic():
        _locked(proposal)
        if proposal.status != S.VOTING:
            raise Conflict(_("Only a proposal being voted on can be decided."), code="not_voting")
        council = proposal.council
        now = timezone.now()
        if proposal.voting_closes_at is None or proposal.voting_closes_at > now:
            closes = now
            if proposal.voting_opens_at and closes <= proposal.voting_opens_at:
                closes = proposal.voting_opens_at + timedelta(microseconds=1)
            proposal.voting_closes_at = closes
        tally = count_votes(proposal)
        eligible = perms.eligible_voter_count(council)
        rules = council.rules
        result = decide(rules, tally, eligible)
        summaries = outcome_summaries(result, rules)
        proposal.status = S.ACCEPTED if result.accepted else S.REJECTED
        proposal.outcome = _with_note(note, summaries[settings.LANGUAGE_CODE])
        proposal.decided_at = now
        proposal.decided_by = actor
        proposal.final_support = tally.support
        proposal.final_oppose = tally.oppose
        proposal.final_abstain = tally.abstain
        proposal.final_eligible = eligible
        if result.accepted:
            proposal.task = create_follow_up_task(actor=actor, proposal=proposal)
        proposal.save()
        _audit(
            proposal,
            "linli.proposal.decide",
            actor,
            status=proposal.status,
            tally=tally.as_dict(),
            eligible=eligible,
            quorum_met=result.quorum_met,
            threshold_met=result.threshold_met,
            task=proposal.task_id,
        )
        publish(
            topic=proposal_topic(proposal),
            type="proposal.decided",
            data={
                "status": proposal.status,
                "outcome": proposal.outcome,
                # The outcome per language (live.texts): pages show the reader's.
                "outcomes": {code: _with_note(note, text) for code, text in summaries.items()},
                "tally": tally.as_dict(),
                "task": task_summary(proposal.task),
            },
            actor=actor,
        )
        if not proposal.hidden:
            publish(
                topic=f"community:{council.community_id}",
                type="proposal.decided",
                data={
                    "proposal": {"id": proposal.pk, "title": proposal.title},
                    "status": proposal.status,
                    "url": proposal.get_absolute_url(),
                },
                actor=actor,
            )
        notify_followers(proposal=proposal, kind=proposal.status, actor=actor)
    return proposal


def create_follow_up_task(*, actor, proposal: Proposal):
    """The task of an accepted proposal: category -> required skills (teams.services).

    Skills missing from the database are left out (the task is then open to more teams)
    rather than blocking the council's decision.
    """
    from teams import services as team_services
    from teams.models import Skill

    wanted = CATEGORY_SKILLS.get(proposal.category, [])
    skills = list(Skill.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    if len(skills) < len(wanted):
        logger.warning("skills %s missing for proposal %s", set(wanted) - set(skills), proposal.pk)

    with translation.override(settings.LANGUAGE_CODE):
        description = "\n\n".join(
            part
            for part in (
                proposal.body,
                gettext("Location: %(location)s") % {"location": proposal.location}
                if proposal.location
                else "",
                gettext("Accepted by the residents' council: %(url)s")
                % {"url": proposal.get_absolute_url()},
            )
            if part
        )
    return team_services.create_task(
        actor=actor,
        community=proposal.council.community,
        title=proposal.title,
        description=description,
        location=proposal.location,
        required_skills=skills,
        origin=Task.Origin.PROPOSAL,
    )


# --- discussion --------------------------------------------------------------------------------


def add_comment(*, actor, proposal: Proposal, body, parent: Comment | None = None) -> Comment:
    """A comment, or a reply (one level: a reply to a reply joins the top-level comment)."""
    if not perms.may_comment(actor, proposal):
        raise NotAllowed(_("Only verified residents of this community can comment."))
    body = clean_text(body, field="body", max_length=2000)
    if parent is not None:
        if parent.proposal_id != proposal.pk:
            raise ValidationError({"parent": [gettext("Reply to a comment of this proposal.")]})
        if parent.parent_id is not None:
            parent = parent.parent
        if parent.hidden and not perms.can_moderate(actor, proposal):
            raise ValidationError({"parent": [gettext("This comment is hidden.")]})
    if proposal.status not in Proposal.COMMENTABLE or proposal.hidden:
        raise Conflict(_("This proposal is not open for comments."))
    check_rate(user=actor, action="comment")
    with transaction.atomic():
        comment = Comment.objects.create(proposal=proposal, author=actor, parent=parent, body=body)
        _audit(comment, "linli.comment.create", actor, proposal=proposal.pk)
        publish(
            topic=proposal_topic(proposal),
            type="proposal.comment_added",
            data={"comment": comment.pk, "parent": parent.pk if parent else None},
            actor=actor,
        )
    return comment


def _moderation_guard(actor, comment: Comment, message) -> None:
    if perms.is_council_staff(actor, comment.proposal) and perms.is_own_content(actor, comment):
        raise NotAllowed(
            _("Another staff member must do this: the comment or its proposal is your own."),
            code="own_work",
        )
    if not perms.can_moderate(actor, comment):
        raise NotAllowed(message)


def hide_comment(*, actor, comment: Comment, reason) -> Comment:
    _moderation_guard(actor, comment, _("Only community staff can hide comments."))
    reason = clean_text(reason, field="reason", max_length=500)
    with transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(
            hidden=True, hidden_reason=reason, hidden_by=actor, hidden_at=timezone.now()
        )
        comment.refresh_from_db()
        upheld = _close_reports(actor=actor, status=Report.Status.UPHELD, comment=comment)
        _audit(comment, "linli.comment.hide", actor, reason=reason, reports_upheld=upheld)
        publish(
            topic=proposal_topic(comment.proposal_id),
            type="proposal.comment_hidden",
            data={"comment": comment.pk},
            actor=actor,
        )
    return comment


def restore_comment(*, actor, comment: Comment, reason="") -> Comment:
    _moderation_guard(actor, comment, _("Only community staff can restore comments."))
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    with transaction.atomic():
        updated = Comment.objects.filter(pk=comment.pk, hidden=True).update(
            hidden=False, hidden_reason="", hidden_by=None, hidden_at=None
        )
        if not updated:
            raise Conflict(_("This comment is not hidden."))
        comment.refresh_from_db()
        dismissed = _close_reports(actor=actor, status=Report.Status.DISMISSED, comment=comment)
        _audit(comment, "linli.comment.restore", actor, reason=reason, reports_dismissed=dismissed)
        publish(
            topic=proposal_topic(comment.proposal_id),
            type="proposal.comment_restored",
            data={"comment": comment.pk},
            actor=actor,
        )
    return comment


def report_content(*, actor, target, reason="") -> tuple[Report, bool]:
    """Anyone signed in reports a proposal or a comment once. With `reports_to_hide()` open
    reports the content is hidden until staff review it. Returns (report, created)."""
    if not isinstance(target, Proposal | Comment):
        raise TypeError(target)
    if not perms.can_report(actor, target):
        raise NotAllowed(_("You cannot report this."))
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    is_comment = isinstance(target, Comment)
    lookup = {"comment": target} if is_comment else {"proposal": target}
    existing = Report.objects.filter(reporter=actor, **lookup).first()
    if existing is not None:
        return existing, False
    check_rate(user=actor, action="report")
    with transaction.atomic():
        report, created = Report.objects.get_or_create(
            reporter=actor, **lookup, defaults={"reason": reason}
        )
        if not created:
            return report, False
        _audit(report, "linli.report.create", actor, reason=reason)
        # Only reports by verified members of the proposal's community count towards hiding it:
        # otherwise a few throwaway accounts from anywhere could hide any proposal.
        proposal = target.proposal if is_comment else target
        open_count = (
            Report.objects.filter(
                status=Report.Status.OPEN,
                reporter__memberships__community_id=proposal.council.community_id,
                reporter__memberships__status="verified",
                **lookup,
            )
            .values("reporter")
            .distinct()
            .count()
        )
        if open_count >= reports_to_hide():
            _auto_hide(target, open_count)
    return report, True


def _auto_hide(target, open_count: int) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        reason = gettext("Hidden after %(count)d reports, waiting for staff review.") % {
            "count": open_count
        }
    model = type(target)
    hidden = model.objects.filter(pk=target.pk, hidden=False).update(
        hidden=True, hidden_reason=reason, hidden_by=None, hidden_at=timezone.now()
    )
    if not hidden:
        return
    target.refresh_from_db()
    action = "linli.comment.hide" if model is Comment else "linli.proposal.hide"
    _audit(target, action, None, reason=reason)
    proposal_id = target.proposal_id if model is Comment else target.pk
    kind = "proposal.comment_hidden" if model is Comment else "proposal.hidden"
    publish(
        topic=proposal_topic(proposal_id),
        type=kind,
        data={"comment": target.pk} if model is Comment else {},
    )


# --- follow ------------------------------------------------------------------------------------


def follow_proposal(*, actor, proposal: Proposal) -> Follow:
    if not perms.can_follow(actor, proposal):
        raise NotAllowed(_("Sign in to follow proposals you can see."))
    with transaction.atomic():
        follow, created = Follow.objects.get_or_create(user=actor, proposal=proposal)
        if created:
            _audit(proposal, "linli.proposal.follow", actor)
    return follow


def unfollow_proposal(*, actor, proposal: Proposal) -> None:
    if not is_signed_in(actor):
        raise NotAllowed()
    with transaction.atomic():
        deleted, _n = Follow.objects.filter(user=actor, proposal=proposal).delete()
        if deleted:
            _audit(proposal, "linli.proposal.unfollow", actor)


# --- task events (teams) -----------------------------------------------------------------------

TASK_NOTICES = {"claimed": "task_claimed", "done": "task_done", "verified": "task_verified"}


def on_task_changed(*, task, actor=None) -> None:
    """A follow-up task changed: tell the proposal's page, and its followers when it was
    claimed, done or verified. Called from the teams signal receiver (deliberation.apps)."""
    if task.origin != Task.Origin.PROPOSAL:
        # Only create_follow_up_task links a task to a proposal, and it marks the task's
        # origin: every other task's status change (inside its transaction) skips the look-up.
        return
    proposal = Proposal.objects.select_related("council__community").filter(task_id=task.pk).first()
    if proposal is None:
        return
    publish(
        topic=proposal_topic(proposal),
        type="proposal.task",
        data={"task": task_summary(task)},
        actor=actor,
    )
    kind = TASK_NOTICES.get(task.status)
    if kind:
        team = task.team.name if task.team_id else ""
        notify_followers(proposal=proposal, kind=kind, actor=actor, team=team)


# --- meetings ----------------------------------------------------------------------------------


def _meeting_guard(actor, council: Council) -> None:
    if not perms.can_manage_meetings(actor, council):
        raise NotAllowed(_("Only community staff can manage council meetings."))


def _agenda_proposals(council: Council, proposals) -> list[Proposal]:
    ids = [p.pk if isinstance(p, Proposal) else int(p) for p in proposals or []]
    found = {p.pk: p for p in Proposal.objects.filter(pk__in=ids, council=council)}
    if len(found) != len(set(ids)):
        raise ValidationError({"agenda": [gettext("Choose proposals of this council.")]})
    return [found[i] for i in dict.fromkeys(ids)]


def schedule_meeting(*, actor, council: Council, starts_at, place, title="", agenda=()) -> Meeting:
    _meeting_guard(actor, council)
    place = clean_text(place, field="place", max_length=200)
    title = clean_text(title, field="title", max_length=120, required=False)
    if starts_at is None:
        raise ValidationError({"starts_at": [gettext("This field is required.")]})
    proposals = _agenda_proposals(council, agenda)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            council=council, starts_at=starts_at, place=place, title=title, created_by=actor
        )
        AgendaItem.objects.bulk_create(
            [AgendaItem(meeting=meeting, proposal=p, position=i) for i, p in enumerate(proposals)]
        )
        _audit(meeting, "linli.meeting.schedule", actor, agenda=[p.pk for p in proposals])
        publish(
            topic=f"community:{council.community_id}",
            type="meeting.scheduled",
            data={
                "meeting": {"id": meeting.pk, "title": str(meeting), "place": place},
                "starts_at": meeting.starts_at.isoformat(),
                "url": meeting.get_absolute_url(),
            },
            actor=actor,
        )
    return meeting


def set_agenda(*, actor, meeting: Meeting, proposals) -> Meeting:
    """Replace the agenda (decisions already recorded for kept items stay)."""
    _meeting_guard(actor, meeting.council)
    chosen = _agenda_proposals(meeting.council, proposals)
    with transaction.atomic():
        AgendaItem.objects.filter(meeting=meeting).exclude(proposal__in=chosen).delete()
        for position, proposal in enumerate(chosen):
            AgendaItem.objects.update_or_create(
                meeting=meeting, proposal=proposal, defaults={"position": position}
            )
        _audit(meeting, "linli.meeting.agenda", actor, agenda=[p.pk for p in chosen])
    return meeting


def record_attendance(
    *, actor, meeting: Meeting, attendees=(), other_attendees="", attendance_count=None
) -> Meeting:
    """Who came: people with an account, names of others, and the head count."""
    _meeting_guard(actor, meeting.council)
    names = clean_text(other_attendees, field="other_attendees", max_length=2000, required=False)
    users = list(attendees or [])
    name_count = len([line for line in names.splitlines() if line.strip()])
    if attendance_count is None:
        attendance_count = len(users) + name_count
    if not isinstance(attendance_count, int) or attendance_count < 0 or attendance_count > 100000:
        raise ValidationError({"attendance_count": [gettext("Enter a number of people.")]})
    with transaction.atomic():
        meeting.attendees.set(users)
        meeting.other_attendees = names
        meeting.attendance_count = attendance_count
        meeting.save(update_fields=["other_attendees", "attendance_count", "updated_at"])
        _audit(
            meeting,
            "linli.meeting.attendance",
            actor,
            attendees=[u.pk for u in users],
            count=attendance_count,
        )
    return meeting


def record_minutes(*, actor, meeting: Meeting, minutes, held: bool = True) -> Meeting:
    _meeting_guard(actor, meeting.council)
    minutes = clean_text(minutes, field="minutes", max_length=20000)
    with transaction.atomic():
        meeting.minutes = minutes
        fields = ["minutes", "updated_at"]
        if held and meeting.status != Meeting.Status.HELD:
            meeting.status = Meeting.Status.HELD
            fields.append("status")
        meeting.save(update_fields=fields)
        _audit(meeting, "linli.meeting.minutes", actor, held=meeting.status == "held")
    return meeting


def record_decision(*, actor, meeting: Meeting, proposal: Proposal, decision) -> AgendaItem:
    """What the meeting decided about one agenda item (added to the agenda if missing)."""
    _meeting_guard(actor, meeting.council)
    if proposal.council_id != meeting.council_id:
        raise ValidationError({"proposal": [gettext("Choose a proposal of this council.")]})
    if perms.is_own_proposal(actor, proposal):
        raise NotAllowed(
            _("Another staff member must do this: the proposal is your own."), code="own_work"
        )
    decision = clean_text(decision, field="decision", max_length=2000)
    with transaction.atomic():
        item, _created = AgendaItem.objects.get_or_create(
            meeting=meeting,
            proposal=proposal,
            defaults={"position": AgendaItem.objects.filter(meeting=meeting).count()},
        )
        item.decision = decision
        item.save(update_fields=["decision"])
        _audit(meeting, "linli.meeting.decision", actor, proposal=proposal.pk, decision=decision)
    return item


def cancel_meeting(*, actor, meeting: Meeting, reason="") -> Meeting:
    _meeting_guard(actor, meeting.council)
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    with transaction.atomic():
        if meeting.status == Meeting.Status.HELD:
            raise Conflict(_("A meeting that was held cannot be cancelled."))
        meeting.status = Meeting.Status.CANCELLED
        meeting.save(update_fields=["status", "updated_at"])
        _audit(meeting, "linli.meeting.cancel", actor, reason=reason)
    return meeting


# --- council rules -----------------------------------------------------------------------------


def update_council(*, actor, council: Council, **rules) -> Council:
    """Staff change the council's rules (who votes, quorum, threshold, days, hidden tally)."""
    if not perms.can_manage_council(actor, council):
        raise NotAllowed(_("Only community staff can change the council's rules."))
    allowed = {
        "name",
        "voters",
        "quorum_kind",
        "quorum_votes",
        "quorum_percent",
        "pass_percent",
        "voting_days",
        "hide_tally",
    }
    unknown = set(rules) - allowed
    if unknown:
        raise ValidationError(
            {name: [gettext("This field cannot be changed.")] for name in unknown}
        )
    with transaction.atomic():
        for name, value in rules.items():
            setattr(council, name, value)
        council.full_clean(exclude=["community"])
        council.save()
        _audit(council, "linli.council.rules", actor, **{k: rules[k] for k in sorted(rules)})
    return council


def ensure_council(*, community: Community, **defaults) -> Council:
    """The community's council, created with default rules when missing (demo, admin)."""
    council, _created = Council.objects.get_or_create(community=community, defaults=defaults)
    return council
