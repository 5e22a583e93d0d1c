"""Residents' needs: a resident (or staff for them) asks for help; staff accept it as a task or
decline it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from communities.models import Community
from communities.services import assisted_resident
from core.drafts import FiledOnce, already_filed
from core.errors import Conflict, NotAllowed
from core.reasons import required_reason
from live.services import publish
from live.texts import default_text, localized, text_fields

from .. import permissions as perms
from ..models import Need, Skill, Task, Team
from .common import require_signed_in, staff_ids
from .tasks import create_task


def need_data(need: Need, text: str = "", **extra) -> dict:
    return {
        "id": need.pk,
        "status": need.status,
        "category": need.category,
        "private": need.private,
        "community": {"id": need.community_id, "name": need.community.name},
        "requester": {"id": need.requester_id, "display_name": need.requester.get_display_name()},
        **text_fields(text),
        **extra,
    }


def file_need(
    *,
    actor,
    community: Community,
    category: str,
    description: str,
    private: bool = False,
    on_behalf_of=None,
    client_key=None,
) -> Need:
    """A verified resident asks for help. Staff of the community are told.

    With `on_behalf_of`, staff file it for a verified member who came to the service station:
    the resident is the requester (and is told), the need is marked assisted and records who
    filed it (audited as `linli.need.assisted`)."""
    require_signed_in(actor)
    on_behalf_of = assisted_resident(
        actor=actor,
        community=community,
        on_behalf_of=on_behalf_of,
        refused=_("Only community staff can ask for help for a resident."),
    )
    assisted = on_behalf_of is not None
    if not assisted and not perms.can_file_need(actor, community):
        raise NotAllowed(_("Only verified residents of this community can ask for help here."))
    requester = on_behalf_of if assisted else actor
    # A phone's draft sent again (client_key, see core/drafts.py) gets the need it made.
    existing = already_filed(Need, requester=requester, client_key=client_key)
    if existing is not None:
        return existing
    description = (description or "").strip()
    errors = {}
    if category not in Need.Category.values:
        errors["category"] = _("Choose a category.")
    if not description:
        errors["description"] = _("Describe what help you need.")
    elif len(description) > 2000:
        errors["description"] = _("Keep the description under 2000 characters.")
    if errors:
        raise ValidationError(errors)
    once = FiledOnce(Need, requester=requester, client_key=client_key)
    with once, transaction.atomic():
        need = Need.objects.create(
            community=community,
            requester=requester,
            client_key=client_key,
            category=category,
            description=description,
            private=bool(private),
            assisted=assisted,
            recorded_by=actor if assisted else None,
        )
        if assisted:
            log(
                instance=need,
                action="linli.need.assisted",
                user=actor,
                data={"category": category, "resident": requester.pk},
            )
        else:
            log(instance=need, action="linli.need.file", user=actor, data={"category": category})
        text = localized(
            gettext_lazy("%(name)s asked for help: %(category)s."),
            {"name": requester.get_display_name(), "category": Need.Category(need.category).label},
        )
        data = need_data(need, text)
        for user_id in sorted(set(staff_ids(community)) | {requester.pk}):
            publish(topic=f"user:{user_id}", type="need.filed", data=data, actor=actor)
    if once.existing is not None:
        return once.existing
    return need


def _need_guard(actor, need: Need) -> None:
    if perms.is_own_need(actor, need) and perms.is_staff_of(actor, need.community):
        raise NotAllowed(
            _("Another staff member must decide this: the request for help is your own."),
            code="own_work",
        )
    if not perms.may_decide_need(actor, need):
        raise NotAllowed(_("Only community staff can decide on requests for help."))


def accept_need(
    *,
    actor,
    need: Need,
    title: str = "",
    description: str | None = None,
    location: str = "",
    priority: str = Task.Priority.NORMAL,
    required_skills=None,
    sensitive: bool | None = None,
    due_at=None,
    team: Team | None = None,
) -> Task:
    """Staff accept a need: the task is created in the same transaction. A private need
    becomes a sensitive task unless staff say otherwise."""
    require_signed_in(actor)
    need = Need.objects.select_related("community", "requester").get(pk=need.pk)
    _need_guard(actor, need)
    if required_skills is None:
        slug = Need.CATEGORY_SKILL.get(need.category)
        required_skills = list(Skill.objects.filter(slug=slug)) if slug else []
    with transaction.atomic():
        now = timezone.now()
        if not Need.objects.filter(pk=need.pk, status=Need.Status.OPEN).update(
            status=Need.Status.ACCEPTED, decided_by=actor, decided_at=now
        ):
            raise Conflict(_("This request was already decided."), code="wrong_state")
        need.refresh_from_db()
        task = create_task(
            actor=actor,
            community=need.community,
            title=title
            or default_text(
                gettext_lazy("Help request: %(category)s"),
                {"category": Need.Category(need.category).label},
            ),
            description=need.description if description is None else description,
            location=location,
            priority=priority,
            required_skills=required_skills,
            sensitive=need.private if sensitive is None else sensitive,
            due_at=due_at,
            team=team,
            origin=Task.Origin.NEED,
            need=need,
        )
        log(instance=need, action="linli.need.accept", user=actor, data={"task": task.pk})
        data = need_data(
            need,
            localized(
                gettext_lazy(
                    "Your request for help was accepted; a volunteer team will take it on."
                )
            ),
            task={"id": task.pk, "status": task.status, "url": task.get_absolute_url()},
        )
        publish(topic=f"user:{need.requester_id}", type="need.accepted", data=data, actor=actor)
    return task


def decline_need(*, actor, need: Need, reason: str) -> Need:
    require_signed_in(actor)
    need = Need.objects.select_related("community", "requester").get(pk=need.pk)
    _need_guard(actor, need)
    reason = required_reason(reason, missing=_("Say why the request is declined."))
    with transaction.atomic():
        now = timezone.now()
        if not Need.objects.filter(pk=need.pk, status=Need.Status.OPEN).update(
            status=Need.Status.DECLINED, decided_by=actor, decided_at=now, decline_reason=reason
        ):
            raise Conflict(_("This request was already decided."), code="wrong_state")
        need.refresh_from_db()
        log(instance=need, action="linli.need.decline", user=actor, data={"reason": reason})
        data = need_data(
            need,
            localized(
                gettext_lazy("Your request for help was declined: %(reason)s"), {"reason": reason}
            ),
            reason=reason,
        )
        publish(topic=f"user:{need.requester_id}", type="need.declined", data=data, actor=actor)
    return need
