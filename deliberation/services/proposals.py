"""A proposal from draft to discussion: create (also assisted), edit, photos, submit, publish,
return and withdraw."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from communities.services import assisted_resident
from core.drafts import FiledOnce, already_filed
from core.errors import Conflict, NotAllowed
from core.images import CleanImage, clean_image
from live.services import publish

from .. import inbox
from .. import permissions as perms
from ..models import MAX_PHOTOS, Category, Council, Proposal, ProposalPhoto
from .common import S, audit, check_rate, clean_text, judge_guard, lock_proposal, proposal_topic
from .follows import _follow, notify_followers


def _clean_category(value) -> str:
    if value not in Category.values:
        raise ValidationError({"category": [gettext("Choose one of the listed categories.")]})
    return value


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
        lock_proposal(proposal)  # serialises uploads, so the limit of 4 holds
        if proposal.status not in Proposal.EDITABLE or proposal.hidden:
            raise Conflict(_("Photos can be changed only before the proposal is published."))
        photos = _add_photos(proposal, files, actor)
        audit(proposal, "linli.proposal.edit", actor, photos_added=len(photos))
    return photos


def remove_photo(*, actor, photo: ProposalPhoto) -> None:
    proposal = photo.proposal
    if not perms.may_edit(actor, proposal):
        raise NotAllowed()
    with transaction.atomic():
        lock_proposal(proposal)
        if proposal.status not in Proposal.EDITABLE or proposal.hidden:
            raise Conflict(_("Photos can be changed only before the proposal is published."))
        photo_id = photo.pk
        files = [f for f in (photo.image, photo.rendition) if f]
        photo.delete()
        audit(proposal, "linli.proposal.edit", actor, photo_removed=photo_id)

        def delete_files():
            for file in files:
                file.storage.delete(file.name)

        # A removed photo leaves no file behind, once the removal is certain.
        transaction.on_commit(delete_files)


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
            audit(
                proposal,
                "linli.proposal.assisted",
                actor,
                status=proposal.status,
                resident=on_behalf_of.pk,
            )
            notify_followers(proposal=proposal, kind="assisted", actor=actor)
        else:
            _follow(actor, proposal)
            audit(proposal, "linli.proposal.create", actor, status=proposal.status)
        if submit:
            inbox.proposal_submitted(proposal, actor=actor)
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
        lock_proposal(proposal)
        if proposal.status not in Proposal.EDITABLE or proposal.hidden:
            raise Conflict(_("A proposal can be edited only before it is published."))
        for name, value in cleaned.items():
            setattr(proposal, name, value)
        if cleaned:
            proposal.save(update_fields=[*cleaned, "updated_at"])
            audit(proposal, "linli.proposal.edit", actor, fields=sorted(cleaned))
    return proposal


def submit_proposal(*, actor, proposal: Proposal) -> Proposal:
    if not perms.may_edit(actor, proposal):
        raise NotAllowed(_("Only the author can submit a proposal."))
    with transaction.atomic():
        lock_proposal(proposal)
        if proposal.status != S.DRAFT or proposal.hidden:
            raise Conflict(_("Only a draft can be submitted."))
        proposal.status = S.SUBMITTED
        proposal.submitted_at = timezone.now()
        proposal.save(update_fields=["status", "submitted_at", "updated_at"])
        audit(proposal, "linli.proposal.submit", actor)
        inbox.proposal_submitted(proposal, actor=actor)
    return proposal


def publish_proposal(*, actor, proposal: Proposal) -> Proposal:
    """Staff: submitted -> discussion. Everyone can see it from now on."""
    judge_guard(actor, proposal, _("Only community staff can publish proposals."))
    with transaction.atomic():
        lock_proposal(proposal)
        if proposal.status != S.SUBMITTED:
            raise Conflict(_("Only a submitted proposal can be published."))
        proposal.status = S.DISCUSSION
        proposal.published_at = timezone.now()
        proposal.published_by = actor
        proposal.return_reason = ""
        proposal.save(
            update_fields=["status", "published_at", "published_by", "return_reason", "updated_at"]
        )
        audit(proposal, "linli.proposal.publish", actor)
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
    judge_guard(actor, proposal, _("Only community staff can return proposals."))
    reason = clean_text(reason, field="reason", max_length=500)
    with transaction.atomic():
        lock_proposal(proposal)
        if proposal.status != S.SUBMITTED:
            raise Conflict(_("Only a submitted proposal can be returned."))
        proposal.status = S.DRAFT
        proposal.return_reason = reason
        proposal.submitted_at = None
        proposal.save(update_fields=["status", "return_reason", "submitted_at", "updated_at"])
        audit(proposal, "linli.proposal.return", actor, reason=reason)
        notify_followers(proposal=proposal, kind="returned", actor=actor, reason=reason)
    return proposal


def withdraw_proposal(*, actor, proposal: Proposal, reason="") -> Proposal:
    """The author withdraws before the vote opens."""
    if not perms.may_withdraw(actor, proposal):
        raise NotAllowed(_("Only the author can withdraw a proposal."))
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    with transaction.atomic():
        lock_proposal(proposal)
        if proposal.status not in Proposal.WITHDRAWABLE:
            raise Conflict(_("A proposal can be withdrawn only before the vote opens."))
        was_published = proposal.is_published
        proposal.status = S.WITHDRAWN
        proposal.withdraw_reason = reason
        proposal.save(update_fields=["status", "withdraw_reason", "updated_at"])
        audit(proposal, "linli.proposal.withdraw", actor, reason=reason)
        if was_published:
            publish(
                topic=proposal_topic(proposal),
                type="proposal.withdrawn",
                data={"status": proposal.status},
                actor=actor,
            )
            notify_followers(proposal=proposal, kind="withdrawn", actor=actor)
    return proposal
