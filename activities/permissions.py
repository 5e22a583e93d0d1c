"""Who may do what with activities. Pages, API, consumer and admin all ask here."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.permissions import is_signed_in
from communities.permissions import is_staff_of, is_verified_member
from teams.permissions import active_team_memberships, is_team_leader, led_teams, serves

from .models import Activity

#: What a sign-up refusal's code says, for the API's `reason` and the page.
REFUSALS = {
    "sign_in": _("Sign in to sign up."),
    "not_open": _("This activity is not open for sign-up."),
    "started": _("Sign-up closed when the activity started."),
    "team_only": _("Only volunteers of the organising team can sign up."),
    "volunteers_only": _("Only members of a volunteer team can sign up."),
    "residents_only": _("Only verified residents of this community can sign up."),
    "skills": _("Signing up needs a team with these skills: %(skills)s."),
}


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def is_organiser(user, activity: Activity) -> bool:
    """The person who organises it, or a leader of the organising team."""
    if not is_signed_in(user):
        return False
    return activity.organiser_id == user.pk or (
        activity.team_id is not None and is_team_leader(user, activity.team_id)
    )


def may_manage(user, activity: Activity) -> bool:
    """Organisers and the community's staff: edit, check people in and out, close, cancel."""
    return is_organiser(user, activity) or (
        is_signed_in(user) and is_staff_of(user, activity.community)
    )


def can_create_activity(user, community, team=None) -> bool:
    """Staff of the community; or a leader of a team that serves it, for that team."""
    if not is_signed_in(user):
        return False
    if team is None:
        return is_staff_of(user, community)
    if not team.active or not serves(team, community):
        return False
    return is_staff_of(user, community) or is_team_leader(user, team)


def can_organise_in(user, community) -> bool:
    """May organise some activity in `community`: its staff, or a leader of an active team
    serving it (for that team)."""
    if not is_signed_in(user):
        return False
    return can_create_activity(user, community) or organising_teams(user, community).exists()


def organising_teams(user, community):
    """The teams a person may organise an activity for in `community` (staff: every active
    team serving it)."""
    from teams.models import Team

    teams = Team.objects.active().filter(communities__in=community.ancestor_ids).distinct()
    if is_staff_of(user, community):
        return teams
    return teams.filter(pk__in=led_teams(user).values("pk"))


def can_see(user, activity: Activity) -> bool:
    """Everyone sees what is not a draft; a draft only those who manage it."""
    return activity.status != Activity.Status.DRAFT or may_manage(user, activity)


def signup_refusal(user, activity: Activity, *, now=None) -> Refusal | None:
    """Why `user` may not sign up (for themselves) now, or None when they may."""
    from django.utils import timezone

    if not is_signed_in(user):
        return _refusal("sign_in")
    if activity.status != Activity.Status.PUBLISHED:
        return _refusal("not_open")
    if activity.starts_at <= (now or timezone.now()):
        return _refusal("started")
    return audience_refusal(user, activity)


def audience_refusal(person, activity: Activity) -> Refusal | None:
    """Whether `person` belongs to the activity's audience and has its skills."""
    memberships = active_team_memberships(person)
    if activity.audience == Activity.Audience.TEAM:
        if not memberships.filter(team_id=activity.team_id).exists():
            return _refusal("team_only")
    elif activity.audience == Activity.Audience.VOLUNTEERS:
        if not memberships.exists():
            return _refusal("volunteers_only")
    elif not is_verified_member(person, activity.community) and not is_staff_of(
        person, activity.community
    ):
        return _refusal("residents_only")
    required = list(activity.required_skills.values_list("pk", "name"))
    if required:
        from teams.models import Team

        skill_ids = [pk for pk, _name in required]
        teams = Team.objects.filter(pk__in=memberships.values("team_id"))
        for skill_id in skill_ids:
            teams = teams.filter(skills=skill_id)
        if not teams.exists():
            names = ", ".join(str(name) for _pk, name in required)
            return Refusal("skills", str(REFUSALS["skills"]) % {"skills": names})
    return None


def _refusal(code: str) -> Refusal:
    return Refusal(code, str(REFUSALS[code]))


def may_sign_up_for_others(user, activity: Activity) -> bool:
    return may_manage(user, activity)


def can_follow_activity(user, activity: Activity) -> bool:
    return can_see(user, activity)


def can_follow_attendance(user, activity: Activity) -> bool:
    """The live attendance list names people: only those who manage the activity."""
    return may_manage(user, activity)
