"""Who may do what with teams, tasks, hours and needs.

Pages, API, the live consumer (topic checks) and the Wagtail admin all ask here.

Each `can_*` answers for the task's current state too (a page shows the button only when the
action would succeed). Services check the role part first (403 NotAllowed) and then the state
(409 Conflict); the `may_*` functions are the role part alone.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import StrIndex
from django.utils.translation import gettext, pgettext

from accounts.permissions import is_signed_in
from communities.models import Community, Membership
from communities.permissions import (  # noqa: F401  (assisted filing, asked through here)
    assisted_residents,
    is_staff_of,
    is_verified_member,
    may_file_for,
    may_file_for_residents,
    staffed_communities,
)

from .models import Need, ServiceRecord, Task, TaskUpdate, Team, TeamMembership

ACTIVE = TeamMembership.Status.ACTIVE
LEADER = TeamMembership.Role.LEADER


def _team_id(team) -> int | None:
    if team is None:
        return None
    return team if isinstance(team, int) else team.pk


def active_team_memberships(user):
    # ActiveMembershipIn writes this rule out in SQL for with_holding_membership: change both.
    if not is_signed_in(user):
        return TeamMembership.objects.none()
    return TeamMembership.objects.filter(user=user, status=ACTIVE, team__active=True)


def is_team_member(user, team) -> bool:
    """An active member (leader or member) of this team."""
    team_id = _team_id(team)
    if team_id is None:
        return False
    return active_team_memberships(user).filter(team_id=team_id).exists()


def is_team_leader(user, team) -> bool:
    """An active leader of this (active) team."""
    team_id = _team_id(team)
    if team_id is None:
        return False
    return active_team_memberships(user).filter(team_id=team_id, role=LEADER).exists()


def led_teams(user):
    """Active teams the user leads."""
    if not is_signed_in(user):
        return Team.objects.none()
    return Team.objects.filter(
        active=True,
        memberships__user=user,
        memberships__status=ACTIVE,
        memberships__role=LEADER,
    ).distinct()


def member_teams(user):
    """Active teams the user belongs to (any role)."""
    if not is_signed_in(user):
        return Team.objects.none()
    return Team.objects.filter(
        active=True, memberships__user=user, memberships__status=ACTIVE
    ).distinct()


def serves(team: Team, community: Community) -> bool:
    """A team serves a community when it serves it or a community above it (city-wide teams)."""
    return team.communities.filter(pk__in=community.ancestor_ids).exists()


def eligible_teams(task: Task):
    """Active teams that serve the task's community and whose skills cover the required ones.

    A task dispatched to one team is open to that team only; a sensitive task that staff gave
    to no team is open to none (it never enters the pool: only staff dispatch gives it out).
    """
    if task.dispatched_team_id:
        return Team.objects.filter(pk=task.dispatched_team_id, active=True)
    if task.sensitive:
        return Team.objects.none()
    return (
        Team.objects.filter(active=True, communities__id__in=task.community.ancestor_ids)
        .filter(_has_required_skills(task.pk))
        .distinct()
    )


def _has_required_skills(task_id):
    """For a Team queryset: the team lacks none of the task's required skills. `task_id` is an
    id, or a reference to the task of an enclosing query. One query, whatever the number of
    skills."""
    team_has_it = Team.skills.through.objects.filter(
        team_id=OuterRef(OuterRef("pk")), skill_id=OuterRef("skill_id")
    )
    lacking = Task.required_skills.through.objects.filter(task_id=task_id).filter(
        ~Exists(team_has_it)
    )
    return ~Exists(lacking)


def some_team_may_take():
    """For a Task queryset: eligible_teams(task) is not empty, for any number of tasks in one
    query. An open task without it waits for staff (no team has the skills, or only a
    dispatch can give it out)."""
    # The team serves the task's community or one above it: that community's path begins the
    # task's community's path.
    serving = (
        Team.communities.through.objects.filter(team_id=OuterRef("pk"))
        .annotate(at=StrIndex(OuterRef(OuterRef("community__path")), F("community__path")))
        .filter(at=1)
    )
    pool_team = (
        Team.objects.filter(active=True)
        .filter(Exists(serving))
        .filter(_has_required_skills(OuterRef(OuterRef("pk"))))
    )
    dispatched_team = Team.objects.filter(pk=OuterRef("dispatched_team_id"), active=True)
    return Exists(dispatched_team) | (
        models.Q(dispatched_team__isnull=True, sensitive=False) & Exists(pool_team)
    )


def team_may_take(task: Task, team: Team) -> bool:
    if team is None or not team.active:
        return False
    if task.dispatched_team_id:
        return team.pk == task.dispatched_team_id
    if task.sensitive:
        return False
    return eligible_teams(task).filter(pk=team.pk).exists()


def in_pool():
    """The Q of tasks any serving team may claim without a dispatch: never a sensitive one
    (claim_task's conditional UPDATE and the boards' pool lists share it)."""
    return models.Q(dispatched_team__isnull=True, sensitive=False)


def serving_teams(community: Community):
    """Active teams serving the community or a community above it: those a task of it may go to."""
    return Team.objects.filter(active=True, communities__id__in=community.ancestor_ids).distinct()


# --- why a team cannot take a task -------------------------------------------------------------


def _names(names) -> str:
    return pgettext("list separator", ", ").join(names)


@dataclass(frozen=True)
class Refusal:
    """Why `team` cannot take a task: `code` (inactive, dispatched, confidential, community,
    skills), the names of the skills it lacks, and the team the task was given to."""

    team: Team
    code: str
    missing: tuple[str, ...] = ()
    holder: str = ""

    @property
    def text(self) -> str:
        """In words for a leader of the team."""
        values = {"team": self.team.name, "holder": self.holder, "skills": _names(self.missing)}
        texts = {
            "inactive": gettext("Your team “%(team)s” is not active, so it cannot take tasks."),
            "dispatched": gettext(
                "This task was given to the team “%(holder)s”; only that team can take it on."
            ),
            "confidential": gettext(
                "This task is confidential: only the team that staff give it to can take it on."
            ),
            "community": gettext("Your team “%(team)s” does not serve this community."),
            "skills": gettext("Your team “%(team)s” lacks the skills: %(skills)s."),
        }
        return texts[self.code] % values

    @property
    def staff_text(self) -> str:
        """In words for staff choosing a team."""
        values = {"team": self.team.name, "holder": self.holder, "skills": _names(self.missing)}
        texts = {
            "inactive": gettext("The team “%(team)s” is not active."),
            "dispatched": gettext("This task was given to the team “%(holder)s”."),
            "confidential": gettext("A confidential task goes only to the team you give it to."),
            "community": gettext("The team “%(team)s” does not serve this community."),
            "skills": gettext("The team “%(team)s” lacks the skills: %(skills)s."),
        }
        return texts[self.code] % values


def take_refusal(
    team: Team, *, community: Community, skills, dispatched_team=None, sensitive=False
) -> Refusal | None:
    """Why `team` may not take a task of `community` needing `skills` (Skill rows), or None:
    the rule of eligible_teams and team_may_take, one reason, the first a leader can act on.
    Reads the team's skills and communities through `.all()` (prefetch them for many teams)."""
    if not team.active:
        return Refusal(team, "inactive")
    if dispatched_team is not None:
        if dispatched_team.pk == team.pk:
            return None
        return Refusal(team, "dispatched", holder=dispatched_team.name)
    if sensitive:
        return Refusal(team, "confidential")
    served = {c.pk for c in team.communities.all()}
    if not served & set(community.ancestor_ids):
        return Refusal(team, "community")
    has = {s.pk for s in team.skills.all()}
    missing = tuple(s.name for s in sorted(skills, key=lambda s: s.name) if s.pk not in has)
    if missing:
        return Refusal(team, "skills", missing=missing)
    return None


def team_refusal(task: Task, team: Team) -> Refusal | None:
    """Why `team` may not take `task` (whatever the task's status), or None when it may."""
    return take_refusal(
        team,
        community=task.community,
        skills=list(task.required_skills.all()),
        dispatched_team=task.dispatched_team if task.dispatched_team_id else None,
        sensitive=task.sensitive,
    )


def claim_refusals(user, task: Task) -> list[Refusal]:
    """Why each team the user leads (active or not) cannot claim this open task that no team
    holds; empty when the task is not open or the user leads no team. Three queries."""
    if task.status != Task.Status.OPEN or task.team_id is not None or not is_signed_in(user):
        return []
    teams = (
        Team.objects.filter(
            memberships__user=user, memberships__status=ACTIVE, memberships__role=LEADER
        )
        .distinct()
        .order_by("name")
        .prefetch_related("skills", "communities")
    )
    skills = list(task.required_skills.all())
    dispatched = task.dispatched_team if task.dispatched_team_id else None
    refusals = [
        take_refusal(
            team,
            community=task.community,
            skills=skills,
            dispatched_team=dispatched,
            sensitive=task.sensitive,
        )
        for team in teams
    ]
    return [r for r in refusals if r is not None]


# --- tasks -------------------------------------------------------------------------------------


def can_create_task(user, community: Community) -> bool:
    return is_signed_in(user) and is_staff_of(user, community)


def may_claim(user, task: Task, team: Team) -> bool:
    """Role part of claiming: a leader of an active team that may take this task."""
    return is_signed_in(user) and is_team_leader(user, team) and team_may_take(task, team)


def can_claim(user, task: Task, team: Team) -> bool:
    return task.status == Task.Status.OPEN and task.team_id is None and may_claim(user, task, team)


def claimable_teams(user, task: Task):
    """The teams this user could claim the task for right now (for pickers)."""
    if task.status != Task.Status.OPEN or not is_signed_in(user):
        return Team.objects.none()
    return eligible_teams(task).filter(pk__in=led_teams(user).values("pk"))


def may_release(user, task: Task) -> bool:
    if not is_signed_in(user):
        return False
    return is_team_leader(user, task.team_id) or is_staff_of(user, task.community)


def can_release(user, task: Task) -> bool:
    return task.can_move("release") and may_release(user, task)


def may_dispatch(user, task: Task) -> bool:
    """Staff of the community give a task to one team (the only way a sensitive one gets out)."""
    return is_signed_in(user) and is_staff_of(user, task.community)


def can_dispatch(user, task: Task) -> bool:
    return task.status == Task.Status.OPEN and task.team_id is None and may_dispatch(user, task)


def dispatch_teams(task: Task):
    """The teams staff may give the task to: active ones serving its community."""
    return Team.objects.filter(
        active=True, communities__id__in=task.community.ancestor_ids
    ).distinct()


def update_rights(user, task: Task) -> tuple[bool, bool]:
    """(may post an update, may change the task's status with it), asking the database about
    the user's team membership once: members of the holding team may do both, staff of the
    community may only post."""
    member = may_change_status(user, task)
    return member or may_staff(user, task), member


def may_post_update(user, task: Task) -> bool:
    return update_rights(user, task)[0]


def can_post_update(user, task: Task) -> bool:
    return task.status in Task.HELD[:3] and may_post_update(user, task)


def may_change_status(user, task: Task) -> bool:
    """Moving a held task to in progress or done: members of the holding team (as the task's
    own query read it, if it was read `with_holding_membership` for this user)."""
    if not is_signed_in(user):
        return False
    if getattr(task, "holding_membership_of", None) == user.pk:
        return task.in_holding_team
    return is_team_member(user, task.team_id)


def with_holding_membership(tasks, user):
    """`tasks` (a Task queryset), each read with whether `user` is an active member of the team
    that holds it: may_change_status (and so update_rights) then asks no query of its own."""
    if not is_signed_in(user):
        return tasks
    return tasks.annotate(
        in_holding_team=ActiveMembershipIn(F("team_id"), user_id=user.pk),
        holding_membership_of=Value(user.pk),
    )


class ActiveMembershipIn(models.Func):
    """Whether the person with `user_id` is an active member of the team given by the
    expression (a team id column): the rule of active_team_memberships, written out as one
    EXISTS.

    Written out, like teams.models.SkillSlugsOf, because building and resolving it as
    `Exists(active_team_memberships(user).filter(team_id=OuterRef(...)))` cost more Python on
    every update than the separate query it saved (figures in bench/README.md, "Measured
    choices in the code")."""

    output_field = models.BooleanField()

    def __init__(self, team, *, user_id: int):
        super().__init__(team)
        self.user_id = user_id

    def as_sql(self, compiler, connection, **extra_context):
        membership, team = TeamMembership._meta, Team._meta
        quote = connection.ops.quote_name
        team_column = quote(membership.get_field("team").column)
        extra_context["template"] = (
            f"EXISTS (SELECT 1 FROM {quote(membership.db_table)} membership"
            f" INNER JOIN {quote(team.db_table)} team"
            f" ON team.{quote(team.pk.column)} = membership.{team_column}"
            f" WHERE membership.{team_column} = %(expressions)s"
            f" AND membership.{quote(membership.get_field('user').column)} = %%s"
            f" AND membership.{quote(membership.get_field('status').column)} = %%s"
            f" AND team.{quote(team.get_field('active').column)})"
        )
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return sql, (*params, self.user_id, ACTIVE)


def can_change_status(user, task: Task, status: str) -> bool:
    action = {"in_progress": "start", "done": "finish"}.get(status)
    return action is not None and task.can_move(action) and may_change_status(user, task)


def may_staff(user, task: Task) -> bool:
    return is_signed_in(user) and is_staff_of(user, task.community)


def is_own_task_work(user, task: Task) -> bool:
    """The work on the task is (partly) the user's: they are a member of the team that holds
    it, or since it was claimed they moved its status or had hours logged on it for that team
    (one who left the team since did the work all the same)."""
    if not is_signed_in(user):
        return False
    if task.team_id is None:
        return False
    if is_team_member(user, task.team_id):
        return True
    if ServiceRecord.objects.filter(task_id=task.pk, team_id=task.team_id, volunteer=user).exists():
        return True
    moved = TaskUpdate.objects.filter(task_id=task.pk, author=user).exclude(status_change="")
    if task.claimed_at is not None:
        moved = moved.filter(created_at__gte=task.claimed_at)
    return moved.exists()


def not_own_task_work(user):
    """For a Task queryset: is_own_task_work is False, for any number of tasks in one query
    (the same rule written out for lists: change both)."""
    if not is_signed_in(user):
        return models.Q()
    member = active_team_memberships(user).filter(team_id=OuterRef("team_id"))
    hours = ServiceRecord.objects.filter(
        task_id=OuterRef("pk"), team_id=OuterRef("team_id"), volunteer=user
    )
    moved = TaskUpdate.objects.filter(task_id=OuterRef("pk"), author=user).exclude(status_change="")
    own = (
        Exists(member)
        | Exists(hours)
        | Exists(moved.filter(created_at__gte=OuterRef("claimed_at")))
        | (models.Q(claimed_at__isnull=True) & Exists(moved))
    )
    return models.Q(team__isnull=True) | ~own


def may_verify(user, task: Task) -> bool:
    """Staff of the community confirm the work, never work of their own (superusers neither);
    reopening and cancelling are not approvals and stay with any staff member."""
    return may_staff(user, task) and not is_own_task_work(user, task)


def can_verify(user, task: Task) -> bool:
    return task.can_move("verify") and may_verify(user, task)


def can_reopen(user, task: Task) -> bool:
    return task.can_move("reopen") and may_staff(user, task)


def can_cancel(user, task: Task) -> bool:
    return task.can_move("cancel") and may_staff(user, task)


def can_see_task_details(user, task: Task) -> bool:
    """Non-sensitive tasks: anyone. Sensitive ones: staff of the community, members of the
    holding (or the dispatched) team, and the resident whose need it answers."""
    if not task.sensitive:
        return True
    if not is_signed_in(user):
        return False
    team_ids = [t for t in (task.team_id, task.dispatched_team_id) if t]
    if team_ids and active_team_memberships(user).filter(team_id__in=team_ids).exists():
        return True
    if task.need_id and Need.objects.filter(pk=task.need_id, requester=user).exists():
        return True
    return is_staff_of(user, task.community)


def task_details_checker(user) -> Callable[[Task], bool]:
    """can_see_task_details for many tasks with two queries in all (for lists)."""
    if not is_signed_in(user):
        return lambda task: not task.sensitive
    if user.is_superuser:
        return lambda task: True
    state: dict = {}

    def check(task: Task) -> bool:
        if not task.sensitive:
            return True
        if "teams" not in state:
            state["teams"] = set(active_team_memberships(user).values_list("team_id", flat=True))
            state["staffed"] = set(staffed_communities(user).values_list("id", flat=True))
            state["needs"] = set(Need.objects.filter(requester=user).values_list("id", flat=True))
        return (
            task.team_id in state["teams"]
            or task.dispatched_team_id in state["teams"]
            or task.community_id in state["staffed"]
            or (task.need_id is not None and task.need_id in state["needs"])
        )

    return check


def can_follow_task(user, task: Task) -> bool:
    return can_see_task_details(user, task)


def task_detail_readers(task: Task, users) -> set[int]:
    """The ids of the active people in `users` (a user queryset) who may see the task's
    details now: can_see_task_details for many people in one query (the same rule: change
    both)."""
    users = users.filter(is_active=True)
    if task.sensitive:
        team_ids = [t for t in (task.team_id, task.dispatched_team_id) if t]
        users = users.filter(
            models.Q(is_superuser=True)
            | models.Q(
                team_memberships__team_id__in=team_ids,
                team_memberships__status=ACTIVE,
                team_memberships__team__active=True,
            )
            | models.Q(
                memberships__community_id__in=task.community.ancestor_ids,
                memberships__role=Membership.Role.STAFF,
                memberships__status=Membership.Status.VERIFIED,
            )
            | (models.Q(needs__pk=task.need_id) if task.need_id else models.Q(pk__in=[]))
        )
    return set(users.values_list("pk", flat=True).distinct())


def can_follow_team(user, team: Team) -> bool:
    """Team topics carry redacted data for sensitive tasks, so anyone may follow them."""
    return team is not None


# --- hours -------------------------------------------------------------------------------------

HOURS_STATUSES = ("claimed", "in_progress", "done", "verified")


def may_log_hours(user, task: Task, volunteer=None) -> bool:
    """Members log their own hours on their team's task; leaders and staff may log for members."""
    if not is_signed_in(user) or task.team_id is None:
        return False
    volunteer = volunteer or user
    if volunteer.pk == user.pk:
        return is_team_member(user, task.team_id)
    if not is_team_member(volunteer, task.team_id):
        return False
    return is_team_leader(user, task.team_id) or is_staff_of(user, task.community)


def can_log_hours(user, task: Task, volunteer=None) -> bool:
    return task.status in HOURS_STATUSES and may_log_hours(user, task, volunteer)


def is_own_record(user, record: ServiceRecord) -> bool:
    return is_signed_in(user) and record.volunteer_id == user.pk


def is_own_hours_work(user, record: ServiceRecord) -> bool:
    """Hours the user served or logged themselves (a leader or staff member logging for a
    member): approving them would be vouching for their own claim."""
    return is_own_record(user, record) or (
        is_signed_in(user) and record.logged_by_id is not None and record.logged_by_id == user.pk
    )


def _reviews_hours_of(user, record: ServiceRecord) -> bool:
    return is_staff_of(user, record.community) or (
        record.team_id is not None and is_team_leader(user, record.team_id)
    )


def not_own_hours_work(user):
    """For a ServiceRecord queryset: is_own_hours_work is False."""
    if not is_signed_in(user):
        return models.Q()
    return ~models.Q(volunteer=user) & (
        models.Q(logged_by__isnull=True) | ~models.Q(logged_by=user)
    )


def may_review_hours(user, record: ServiceRecord) -> bool:
    """Staff of the task's community, or a leader of the record's team; nobody (staff and
    superusers neither) approves or declines hours they served or logged themselves."""
    if not is_signed_in(user) or is_own_hours_work(user, record):
        return False
    return _reviews_hours_of(user, record)


def can_review_hours(user, record: ServiceRecord) -> bool:
    return record.status == ServiceRecord.Status.PENDING and may_review_hours(user, record)


def can_see_hours(user, record: ServiceRecord) -> bool:
    return is_own_hours_work(user, record) or (
        is_signed_in(user) and _reviews_hours_of(user, record)
    )


# --- team membership ---------------------------------------------------------------------------


def can_request_team_membership(user, team: Team) -> bool:
    """A verified resident (of any community) asks to join an active team once."""
    if not is_signed_in(user) or not team.active:
        return False
    if not Membership.objects.filter(user=user, status=Membership.Status.VERIFIED).exists():
        return False
    return not TeamMembership.objects.filter(
        team=team,
        user=user,
        status__in=[TeamMembership.Status.PENDING, TeamMembership.Status.ACTIVE],
    ).exists()


def can_manage_team(user, team: Team) -> bool:
    """Leaders of the team, staff of a community it serves, superusers."""
    if not is_signed_in(user):
        return False
    if user.is_superuser or is_team_leader(user, team):
        return True
    return any(is_staff_of(user, community) for community in team.communities.all())


def is_own_team_membership(user, person_id) -> bool:
    """The membership of `person_id` is the user's own (no one decides on it: see below)."""
    return is_signed_in(user) and person_id == user.pk


def may_decide_team_membership(user, membership: TeamMembership) -> bool:
    """Those who manage the team, never on their own request (staff and superusers neither)."""
    return not is_own_team_membership(user, membership.user_id) and can_manage_team(
        user, membership.team
    )


def can_decide_team_membership(user, membership: TeamMembership) -> bool:
    return membership.status == TeamMembership.Status.PENDING and may_decide_team_membership(
        user, membership
    )


# --- needs -------------------------------------------------------------------------------------


def can_file_need(user, community: Community) -> bool:
    return is_signed_in(user) and is_verified_member(user, community)


def is_own_need(user, need: Need) -> bool:
    """The user asked for this help or filed the request for a resident."""
    return is_signed_in(user) and user.pk in (need.requester_id, need.recorded_by_id)


def not_own_need(user):
    """For a Need queryset: is_own_need is False."""
    if not is_signed_in(user):
        return models.Q()
    return ~models.Q(requester=user) & (
        models.Q(recorded_by__isnull=True) | ~models.Q(recorded_by=user)
    )


def may_decide_need(user, need: Need) -> bool:
    """Staff of the community, never on a request for help they made or filed themselves."""
    return not is_own_need(user, need) and is_signed_in(user) and is_staff_of(user, need.community)


def can_decide_need(user, need: Need) -> bool:
    return need.status == Need.Status.OPEN and may_decide_need(user, need)


def can_see_need(user, need: Need) -> bool:
    return is_signed_in(user) and (
        need.requester_id == user.pk or is_staff_of(user, need.community)
    )
