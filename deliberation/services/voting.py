"""The vote on a proposal: opening it, casting (also assisted) and the running tally.

A vote is one `INSERT ... ON CONFLICT (proposal_id, voter_id) DO UPDATE` under the unique
constraint; while it is written the voter holds a `FOR KEY SHARE` lock on the proposal row
(PostgreSQL), so that the decision, which takes `FOR UPDATE` on that row, either counts the
vote or the vote sees the closed window and is refused with 409.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotAllowed
from live.services import publish

from .. import permissions as perms
from ..models import Proposal, Vote
from ..selectors import count_votes
from ..tally import Tally
from .common import S, audit, check_rate, lock_proposal, proposal_topic
from .follows import notice_texts, notify_followers


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
        lock_proposal(proposal)
        if proposal.status != S.DISCUSSION or proposal.hidden:
            raise Conflict(_("The vote can be opened only on a proposal in discussion."))
        proposal.status = S.VOTING
        proposal.voting_opens_at = now
        proposal.voting_closes_at = closes_at
        proposal.save(update_fields=["status", "voting_opens_at", "voting_closes_at", "updated_at"])
        audit(proposal, "linli.proposal.voting_open", actor, closes_at=closes_at.isoformat())
        publish(
            topic=proposal_topic(proposal),
            type="proposal.voting_opened",
            data={"opens_at": now.isoformat(), "closes_at": closes_at.isoformat()},
            actor=actor,
        )
        notify_followers(proposal=proposal, kind="voting_opened", actor=actor, closes=closes_at)
    return proposal


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
        audit(
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
