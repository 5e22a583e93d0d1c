"""Team membership: a verified resident asks to join, a team's leader or staff decide."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from core.errors import Conflict, NotAllowed
from live.services import publish
from live.texts import localized, text_fields

from .. import permissions as perms
from ..models import Team, TeamMembership
from .common import leader_ids, require_signed_in, team_ref


def request_team_membership(*, actor, team: Team, note: str = "") -> TeamMembership:
    """A verified resident asks to join a team; a leader approves."""
    require_signed_in(actor)
    existing = TeamMembership.objects.filter(team=team, user=actor).first()
    if existing and existing.status in ("pending", "active"):
        raise Conflict(
            _("You already asked to join or are a member."),
            code="already_member",
            extra={"current_status": existing.status},
        )
    if not perms.can_request_team_membership(actor, team):
        raise NotAllowed(_("Only verified residents can join an active team."))
    with transaction.atomic():
        membership, _created = TeamMembership.objects.update_or_create(
            team=team,
            user=actor,
            defaults={
                "status": TeamMembership.Status.PENDING,
                "role": TeamMembership.Role.MEMBER,
                "note": (note or "")[:200],
                "decided_by": None,
                "decided_at": None,
            },
        )
        log(instance=membership, action="linli.team.request", user=actor, data={"team": team.pk})
        data = {
            "id": membership.pk,
            "team": team_ref(team),
            "user": {"id": actor.pk, "display_name": actor.get_display_name()},
            "status": membership.status,
            **text_fields(
                localized(
                    gettext_lazy("%(name)s asked to join %(team)s."),
                    {"name": actor.get_display_name(), "team": team.name},
                )
            ),
        }
        for user_id in leader_ids(team.pk):
            publish(topic=f"user:{user_id}", type="team.member_requested", data=data, actor=actor)
    return membership


def _decide_membership(actor, membership: TeamMembership, status: str) -> TeamMembership:
    require_signed_in(actor)
    membership = TeamMembership.objects.select_related("team", "user").get(pk=membership.pk)
    if perms.is_own_team_membership(actor, membership.user_id):
        raise NotAllowed(_("Nobody decides on their own request to join."), code="own_work")
    if not perms.may_decide_team_membership(actor, membership):
        raise NotAllowed(_("Only the team's leaders or community staff can decide this."))
    with transaction.atomic():
        now = timezone.now()
        if not TeamMembership.objects.filter(
            pk=membership.pk, status=TeamMembership.Status.PENDING
        ).update(status=status, decided_by=actor, decided_at=now):
            raise Conflict(_("This request was already decided."), code="wrong_state")
        membership.refresh_from_db()
        team = membership.team
        log(
            instance=membership,
            action=f"linli.team.{'approve' if status == 'active' else 'decline'}",
            user=actor,
            data={"team": team.pk, "user": membership.user_id},
        )
        name = membership.user.get_display_name()
        if status == TeamMembership.Status.ACTIVE:
            data = {
                "id": membership.pk,
                "team": team_ref(team),
                "user": {"id": membership.user_id, "display_name": name},
                "status": status,
                **text_fields(
                    localized(
                        gettext_lazy("%(name)s joined %(team)s."), {"name": name, "team": team.name}
                    )
                ),
            }
            publish(topic=f"team:{team.pk}", type="team.member_joined", data=data, actor=actor)
            publish(
                topic=f"user:{membership.user_id}",
                type="team.member_joined",
                data=data,
                actor=actor,
            )
        else:
            data = {
                "id": membership.pk,
                "team": team_ref(team),
                "status": status,
                **text_fields(
                    localized(
                        gettext_lazy("Your request to join %(team)s was declined."),
                        {"team": team.name},
                    )
                ),
            }
            publish(
                topic=f"user:{membership.user_id}",
                type="team.member_declined",
                data=data,
                actor=actor,
            )
    return membership


def approve_team_membership(*, actor, membership: TeamMembership) -> TeamMembership:
    return _decide_membership(actor, membership, TeamMembership.Status.ACTIVE)


def decline_team_membership(*, actor, membership: TeamMembership) -> TeamMembership:
    return _decide_membership(actor, membership, TeamMembership.Status.DECLINED)
