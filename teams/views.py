"""Team and task pages. Thin: read with a fixed number of queries, change state only through
`teams.services`, ask `teams.permissions` what to show.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.models import Community, Membership
from communities.permissions import staffed_communities
from core.errors import ServiceError
from core.pages import apply_error, next_url
from live.models import Event
from live.texts import pick
from live.topics import event_label, event_labels

from . import ledger, selectors, services
from . import permissions as perms
from .forms import (
    AcceptNeedForm,
    ClaimForm,
    DeclineHoursForm,
    DeclineNeedForm,
    DispatchForm,
    HoursForm,
    JoinTeamForm,
    NeedForm,
    ReasonForm,
    TaskForm,
    UpdateForm,
    VerifyForm,
)
from .models import (
    Need,
    ServiceRecord,
    Task,
    Team,
    TeamMembership,
    star_level,
)
from .selectors import IN_HAND, LIST_LIMIT, visible_records, visible_tasks

ACTIVE = TeamMembership.Status.ACTIVE
PENDING = TeamMembership.Status.PENDING
TIMELINE_LIMIT = 100


# --- helpers -----------------------------------------------------------------------------------


def _form_errors_as_messages(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _status_labels() -> dict:
    return {value: str(label) for value, label in Task.Status.choices}


# --- teams -------------------------------------------------------------------------------------


def team_list(request):
    teams = selectors.team_directory(viewer=request.user)
    return render(request, "teams/team_list.html", {"teams": teams})


def _team_context(request, team, join_form=None):
    user = request.user
    members = list(
        TeamMembership.objects.filter(team=team, status=ACTIVE)
        .select_related("user")
        .order_by("role", "created_at", "pk")
    )
    hours = ledger.approved_hours_by_volunteer(m.user_id for m in members)
    for member in members:
        member.hours = hours.get(member.user_id) or 0
        member.stars = star_level(member.hours)
        member.star_text = "★" * member.stars
    tasks = visible_tasks(viewer=user, tasks=selectors.held_tasks(team=team))
    my_membership = None
    if user.is_authenticated:
        my_membership = next((m for m in members if m.user_id == user.pk), None) or (
            TeamMembership.objects.filter(team=team, user=user).first()
        )
    can_join = perms.can_request_team_membership(user, team)
    can_manage = perms.can_manage_team(user, team)
    requests = []
    if can_manage:
        requests = list(
            TeamMembership.objects.filter(team=team, status=PENDING)
            .select_related("user")
            .order_by("created_at", "pk")
        )
    is_member = my_membership is not None and my_membership.status == ACTIVE
    claimable = visible_tasks(viewer=user, tasks=selectors.claimable_tasks(team=team, limit=20))
    return {
        "claimable": claimable,
        "team": team,
        "members": members,
        "tasks": tasks,
        "my_membership": my_membership,
        "join_form": (join_form or JoinTeamForm()) if can_join else None,
        "can_manage": can_manage,
        "is_member": is_member,
        "requests": requests,
        "team_hours": sum(hours.values()) if hours else 0,
    }


def _get_team(pk):
    return get_object_or_404(Team.objects.prefetch_related("skills", "communities"), pk=pk)


def team_detail(request, pk):
    team = _get_team(pk)
    return render(request, "teams/team_detail.html", _team_context(request, team))


@login_required
@require_POST
def team_join(request, pk):
    team = _get_team(pk)
    form = JoinTeamForm(request.POST)
    if form.is_valid():
        try:
            services.request_team_membership(
                actor=request.user, team=team, note=form.cleaned_data["note"]
            )
        except (ServiceError, ValidationError) as exc:
            apply_error(request, exc, form)
        else:
            messages.success(request, _("Your request was sent to the team leader."))
            return redirect(team)
    if form.errors:
        return render(
            request, "teams/team_detail.html", _team_context(request, team, join_form=form)
        )
    return redirect(team)


@login_required
@require_POST
def membership_decide(request, pk, membership_id):
    membership = get_object_or_404(
        TeamMembership.objects.select_related("team", "user"), pk=membership_id, team_id=pk
    )
    if not perms.can_manage_team(request.user, membership.team):
        raise PermissionDenied(_("Only the team's leaders or community staff can decide this."))
    decision = request.POST.get("decision")
    name = membership.user.get_display_name()
    try:
        if decision == "approve":
            services.approve_team_membership(actor=request.user, membership=membership)
            messages.success(request, _("%(name)s joined the team.") % {"name": name})
        elif decision == "decline":
            services.decline_team_membership(actor=request.user, membership=membership)
            messages.success(request, _("The request of %(name)s was declined.") % {"name": name})
        else:
            messages.error(request, _("Choose approve or decline."))
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
    return redirect(next_url(request, membership.team.get_absolute_url()))


def _require_board_access(user, team):
    if not (perms.is_team_member(user, team) or perms.can_manage_team(user, team)):
        raise PermissionDenied(_("Only members of this team and community staff see its board."))


@login_required
def team_board(request, pk):
    team = _get_team(pk)
    user = request.user
    # The person's role in the team, one query for both is_team_member and is_team_leader.
    role = (
        perms.active_team_memberships(user)
        .filter(team_id=team.pk)
        .values_list("role", flat=True)
        .first()
    )
    if role is None and not perms.can_manage_team(user, team):
        _require_board_access(user, team)
    check = perms.task_details_checker(user)  # shared by both lists: its queries run once
    held = visible_tasks(viewer=user, tasks=selectors.held_tasks(team=team), check=check)
    claimable = visible_tasks(viewer=user, tasks=selectors.claimable_tasks(team=team), check=check)
    is_leader = role == TeamMembership.Role.LEADER
    since = (
        Event.objects.filter(topic=f"team:{team.pk}").order_by("-id").values_list("id", flat=True)
    ).first()
    community_ids = sorted(
        {c.pk for c in team.communities.all()} | {t.community_id for t in claimable}
    )
    return render(
        request,
        "teams/team_board.html",
        {
            "team": team,
            "held": held,
            "claimable": claimable,
            "is_leader": is_leader,
            "since": since or 0,
            "live_config": {
                "team": team.pk,
                "skills": sorted(s.slug for s in team.skills.all()),
                "communities": community_ids,
                "statuses": _status_labels(),
                "held": list(IN_HAND),
            },
            "labels": event_labels(),
        },
    )


# --- tasks -------------------------------------------------------------------------------------


def _get_task(pk):
    return get_object_or_404(
        Task.objects.select_related(
            "community", "team", "dispatched_team", "need"
        ).prefetch_related("required_skills"),
        pk=pk,
    )


def _task_context(request, task, **bound):
    """Everything the task page shows; `bound` replaces a form with its bound, invalid copy."""
    user = request.user
    visible = perms.can_see_task_details(user, task)
    events = []
    since = 0
    if visible:
        rows = list(Event.objects.filter(topic=f"task:{task.pk}").order_by("-id")[:TIMELINE_LIMIT])
        rows.reverse()
        since = rows[-1].pk if rows else 0
        events = [
            {
                "event": e,
                "label": event_label(e.type),
                "text": pick(e.data),
                "update": (e.data or {}).get("update") if e.type == "task.updated" else None,
            }
            for e in rows
        ]
    forms = {}
    # Why the user's teams cannot claim it (leaders), and which teams could (staff).
    refusals = []
    able_teams = None
    signed_in = user.is_authenticated
    if signed_in:
        teams = list(perms.claimable_teams(user, task))
        if teams:
            forms["claim_form"] = bound.get("claim_form") or ClaimForm(
                teams=Team.objects.filter(pk__in=[t.pk for t in teams]).order_by("name")
            )
        if perms.can_release(user, task):
            forms["release_form"] = bound.get("release_form") or ReasonForm(prefix="release")
        if perms.can_dispatch(user, task):
            forms["dispatch_form"] = bound.get("dispatch_form") or DispatchForm(
                teams=perms.dispatch_teams(task).order_by("name"), prefix="dispatch"
            )
            if task.dispatched_team_id is None and not task.sensitive:
                able_teams = list(perms.eligible_teams(task).order_by("name"))
        elif "claim_form" not in forms:
            refusals = perms.claim_refusals(user, task)
        if perms.can_post_update(user, task):
            statuses = [
                s for s in ("in_progress", "done") if perms.can_change_status(user, task, s)
            ]
            forms["update_form"] = bound.get("update_form") or UpdateForm(statuses=statuses)
        if perms.can_verify(user, task):
            forms["verify_form"] = bound.get("verify_form") or VerifyForm(prefix="verify")
        if perms.can_reopen(user, task):
            forms["reopen_form"] = bound.get("reopen_form") or ReasonForm(prefix="reopen")
        if perms.can_cancel(user, task):
            forms["cancel_form"] = bound.get("cancel_form") or ReasonForm(prefix="cancel")
        if perms.can_log_hours(user, task):
            forms["hours_form"] = bound.get("hours_form") or HoursForm(prefix="hours")
    return {
        "task": task,
        "visible": visible,
        "skills": list(task.required_skills.all()),
        "events": events,
        "since": since,
        "live": visible,
        "status_labels": _status_labels(),
        "labels": event_labels() if visible else None,
        "has_actions": bool(forms or refusals),
        "refusals": refusals,
        "able_teams": able_teams,
        "task_admin_url": reverse("teams_task:edit", args=[task.pk]) if able_teams == [] else "",
        "can_follow": signed_in and visible,
        "following": signed_in and visible and selectors.is_following_task(user=user, task=task),
        **forms,
    }


def task_detail(request, pk):
    task = _get_task(pk)
    return render(request, "teams/task_detail.html", _task_context(request, task))


def _task_action(request, pk, form_name, make_form, call):
    """POST handler shared by the task's forms: valid form -> service -> redirect; an invalid
    form or a field error from the service -> the page again with the errors in place."""
    task = _get_task(pk)
    form = make_form(task)
    if form.is_valid():
        try:
            message = call(task, form)
        except (ServiceError, ValidationError) as exc:
            apply_error(request, exc, form)
            if isinstance(exc, ServiceError) or not form.errors:
                return redirect(next_url(request, task.get_absolute_url()))
        else:
            if message:
                messages.success(request, message)
            return redirect(next_url(request, task.get_absolute_url()))
    context = _task_context(request, _get_task(pk), **{form_name: form})
    return render(request, "teams/task_detail.html", context, status=400)


@login_required
@require_POST
def task_follow(request, pk):
    """Follow (follow=1) or stop following (follow=0) a task's progress."""
    task = _get_task(pk)
    try:
        if request.POST.get("follow") == "0":
            services.unfollow_task(actor=request.user, task=task)
            messages.success(request, _("You no longer follow this task."))
        else:
            services.follow_task(actor=request.user, task=task)
            messages.success(
                request, _("You follow this task: its news come to your notifications.")
            )
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect(task.get_absolute_url())


@login_required
@require_POST
def task_claim(request, pk):
    def call(task, form):
        team = form.cleaned_data["team"]
        services.claim_task(actor=request.user, task=task, team=team)
        return _("%(team)s took on this task.") % {"team": team.name}

    return _task_action(request, pk, "claim_form", lambda task: ClaimForm(request.POST), call)


@login_required
@require_POST
def task_release(request, pk):
    def call(task, form):
        services.release_task(actor=request.user, task=task, reason=form.cleaned_data["reason"])
        if task.sensitive:
            return _("The task was given back to community staff.")
        return _("The task was given back; it is open again.")

    return _task_action(
        request, pk, "release_form", lambda task: ReasonForm(request.POST, prefix="release"), call
    )


@login_required
@require_POST
def task_dispatch(request, pk):
    def call(task, form):
        team = form.cleaned_data["team"]
        services.dispatch_task(actor=request.user, task=task, team=team)
        return _("The task was given to %(team)s.") % {"team": team.name}

    return _task_action(
        request,
        pk,
        "dispatch_form",
        lambda task: DispatchForm(
            request.POST, teams=perms.dispatch_teams(task), prefix="dispatch"
        ),
        call,
    )


@login_required
@require_POST
def task_update(request, pk):
    def make_form(task):
        statuses = [
            s for s in ("in_progress", "done") if perms.can_change_status(request.user, task, s)
        ]
        return UpdateForm(request.POST, request.FILES, statuses=statuses)

    def call(task, form):
        services.post_update(
            actor=request.user,
            task=task,
            text=form.cleaned_data["text"],
            photo=form.cleaned_data.get("photo") or None,
            status=form.cleaned_data.get("status") or None,
        )
        return _("Your update was posted.")

    return _task_action(request, pk, "update_form", make_form, call)


def _staff_action(request, pk, prefix, service, message, *, form_class=ReasonForm, field="reason"):
    """A staff action whose form holds one optional text (`field`) for the service."""

    def call(task, form):
        service(actor=request.user, task=task, **{field: form.cleaned_data[field]})
        return message

    return _task_action(
        request, pk, f"{prefix}_form", lambda task: form_class(request.POST, prefix=prefix), call
    )


@login_required
@require_POST
def task_verify(request, pk):
    return _staff_action(
        request,
        pk,
        "verify",
        services.verify_task,
        _("The task is verified."),
        form_class=VerifyForm,
        field="note",
    )


@login_required
@require_POST
def task_reopen(request, pk):
    return _staff_action(request, pk, "reopen", services.reopen_task, _("The task is open again."))


@login_required
@require_POST
def task_cancel(request, pk):
    return _staff_action(request, pk, "cancel", services.cancel_task, _("The task was cancelled."))


@login_required
@require_POST
def task_hours(request, pk):
    def call(task, form):
        record = services.log_hours(
            actor=request.user,
            task=task,
            hours=form.cleaned_data["hours"],
            date=form.cleaned_data["date"],
            note=form.cleaned_data["note"],
        )
        return _("%(hours)s hours logged; they wait for the leader's review.") % {
            "hours": record.hours
        }

    return _task_action(
        request, pk, "hours_form", lambda task: HoursForm(request.POST, prefix="hours"), call
    )


# --- my tasks, my hours, team hours ------------------------------------------------------------


@login_required
def my_tasks(request):
    user = request.user
    teams = list(perms.member_teams(user).order_by("name"))
    team_ids = [t.pk for t in teams]
    tasks = visible_tasks(viewer=user, tasks=selectors.teams_tasks(team_ids=team_ids))
    finished = visible_tasks(viewer=user, tasks=selectors.verified_tasks(team_ids=team_ids))
    led = set(perms.led_teams(user).values_list("pk", flat=True))
    for team in teams:
        team.is_led = team.pk in led
    return render(
        request,
        "teams/my_tasks.html",
        {
            "teams": teams,
            "in_hand": [t for t in tasks if t.status in IN_HAND],
            "waiting": [t for t in tasks if t.status == Task.Status.OPEN],
            "finished": finished,
        },
    )


@login_required
def my_hours(request):
    user = request.user
    records = list(
        ServiceRecord.objects.filter(volunteer=user)
        .select_related("task", "team", "community", "reviewer")
        .order_by("-date", "-id")[:LIST_LIMIT]
    )
    approved = ledger.approved_hours(volunteer=user)
    pending = ServiceRecord.objects.filter(
        volunteer=user, status=ServiceRecord.Status.PENDING
    ).aggregate(total=Sum("hours"))["total"]
    visible_records(viewer=user, records=records)
    thresholds = _star_thresholds()
    stars = star_level(approved)
    next_threshold = thresholds[stars] if stars < len(thresholds) else None
    return render(
        request,
        "teams/my_hours.html",
        {
            "pending": [r for r in records if r.status == ServiceRecord.Status.PENDING],
            "approved": [r for r in records if r.status == ServiceRecord.Status.APPROVED],
            "declined": [r for r in records if r.status == ServiceRecord.Status.DECLINED],
            "approved_hours": approved,
            "pending_hours": pending or 0,
            "stars": stars,
            "star_range": range(len(thresholds)),
            "next_threshold": next_threshold,
            "to_next": (next_threshold - approved) if next_threshold is not None else None,
            "led_teams": list(perms.led_teams(user).order_by("name")),
        },
    )


def _star_thresholds():
    from django.conf import settings

    return list(settings.STAR_LEVEL_THRESHOLDS)


@login_required
def team_hours(request, pk):
    team = _get_team(pk)
    user = request.user
    if not perms.can_manage_team(user, team):
        raise PermissionDenied(_("Only the team's leaders or community staff review its hours."))
    base = ServiceRecord.objects.filter(team=team).select_related(
        "volunteer", "task", "task__community", "reviewer"
    )
    pending = list(base.filter(status=ServiceRecord.Status.PENDING).order_by("date", "id"))
    reviewed = list(base.exclude(status=ServiceRecord.Status.PENDING).order_by("-reviewed_at")[:50])
    is_leader = perms.is_team_leader(user, team)
    staffed = set(staffed_communities(user).values_list("pk", flat=True))
    visible_records(viewer=user, records=pending + reviewed)
    for record in selectors.with_day_hours(records=pending):
        # perms.may_review_hours, for many records at once.
        record.reviewable = user.pk not in (record.volunteer_id, record.logged_by_id) and (
            record.community_id in staffed or is_leader
        )
        record.decline_form = DeclineHoursForm(auto_id=f"id_r{record.pk}_%s")
    return render(
        request,
        "teams/team_hours.html",
        {"team": team, "pending": pending, "reviewed": reviewed},
    )


@login_required
@require_POST
def hours_review(request, pk, record_id):
    record = get_object_or_404(
        ServiceRecord.objects.select_related("community", "task", "team", "volunteer"),
        pk=record_id,
        team_id=pk,
    )
    if not perms.may_review_hours(request.user, record):
        raise PermissionDenied(_("Only the team's leader or community staff can review these."))
    fallback = reverse("teams:team_hours", args=[pk])
    decision = request.POST.get("decision")
    values = {"name": record.volunteer.get_display_name(), "hours": record.hours}
    try:
        if decision == "approve":
            services.approve_hours(actor=request.user, record=record)
            messages.success(request, _("%(hours)s hours of %(name)s approved.") % values)
        elif decision == "decline":
            form = DeclineHoursForm(request.POST)
            if not form.is_valid():
                _form_errors_as_messages(request, form)
            else:
                services.decline_hours(
                    actor=request.user, record=record, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("%(hours)s hours of %(name)s declined.") % values)
        else:
            messages.error(request, _("Choose approve or decline."))
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
    return redirect(next_url(request, fallback))


# --- staff dispatch ----------------------------------------------------------------------------


def _staffed_or_403(user):
    communities = staffed_communities(user).order_by("path")
    if not communities.exists():
        raise PermissionDenied(_("Only community staff dispatch tasks."))
    return communities


@login_required
def dispatch(request):
    user = request.user
    communities = _staffed_or_403(user)
    form = TaskForm(communities=communities)
    if request.method == "POST":
        form = TaskForm(request.POST, communities=communities)
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = services.create_task(
                    actor=user,
                    community=data["community"],
                    title=data["title"],
                    description=data["description"],
                    location=data["location"],
                    priority=data["priority"],
                    required_skills=[s.slug for s in data["required_skills"]],
                    sensitive=data["sensitive"],
                    due_at=form.due_at(),
                    team=data["team"],
                )
            except (ServiceError, ValidationError) as exc:
                apply_error(request, exc, form)
            else:
                messages.success(request, _("The task was created."))
                return redirect(task)
    return render(request, "teams/dispatch.html", _dispatch_context(user, communities, form))


def _dispatch_context(user, communities, form):
    community_ids = list(communities.values_list("pk", flat=True))
    needs = selectors.open_needs(community_ids=community_ids)
    team_choices = None
    for need in needs:
        auto_id = f"id_n{need.pk}_%s"
        need.accept_form = AcceptNeedForm(auto_id=auto_id)
        if team_choices is None:
            team_choices = list(need.accept_form.fields["team"].choices)
        # One query for the team picker of every request, not one per request.
        need.accept_form.fields["team"].choices = team_choices
        need.decline_form = DeclineNeedForm(auto_id=auto_id)
    tasks = visible_tasks(
        viewer=user, tasks=selectors.unfinished_tasks(community_ids=community_ids)
    )
    return {"form": form, "needs": needs, "tasks": tasks}


def _staffed_need(user, pk):
    need = get_object_or_404(Need.objects.select_related("community", "requester"), pk=pk)
    if perms.is_own_need(user, need) and perms.is_staff_of(user, need.community):
        raise PermissionDenied(
            _("Another staff member must decide this: the request for help is your own.")
        )
    if not perms.may_decide_need(user, need):
        raise PermissionDenied(_("Only community staff can decide on requests for help."))
    return need


@login_required
@require_POST
def need_accept(request, pk):
    need = _staffed_need(request.user, pk)
    form = AcceptNeedForm(request.POST)
    if not form.is_valid():
        _form_errors_as_messages(request, form)
        return redirect("teams:dispatch")
    try:
        task = services.accept_need(
            actor=request.user,
            need=need,
            team=form.cleaned_data["team"],
            priority=form.cleaned_data["priority"],
        )
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
        return redirect("teams:dispatch")
    messages.success(request, _("The request was accepted and a task was created."))
    return redirect(task)


@login_required
@require_POST
def need_decline(request, pk):
    need = _staffed_need(request.user, pk)
    form = DeclineNeedForm(request.POST)
    if not form.is_valid():
        _form_errors_as_messages(request, form)
        return redirect("teams:dispatch")
    try:
        services.decline_need(actor=request.user, need=need, reason=form.cleaned_data["reason"])
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
    else:
        messages.success(request, _("The request was declined; the resident is told why."))
    return redirect("teams:dispatch")


# --- residents' needs --------------------------------------------------------------------------


def _need_form(request):
    """The request-for-help form of the 求助 page and of the person's needs list: (the form,
    or None for someone with no community to ask in; the redirect once filed, or None)."""
    user = request.user
    communities = Community.objects.filter(
        memberships__user=user,
        memberships__status=Membership.Status.VERIFIED,
        kind=Community.Kind.COMMUNITY,
    ).order_by("path")
    # Staff may file a need for a resident who came to the service station (assisted).
    residents = None
    staffed = staffed_communities(user).filter(kind=Community.Kind.COMMUNITY)
    if staffed.exists():
        communities = Community.objects.filter(
            Q(pk__in=communities.values("pk")) | Q(pk__in=staffed.values("pk"))
        ).order_by("path")
        residents = (
            get_user_model()
            .objects.filter(
                is_active=True,
                memberships__community__in=staffed,
                memberships__status=Membership.Status.VERIFIED,
            )
            .exclude(pk=user.pk)
            .distinct()
        )
    resident_query = (request.POST or request.GET).get("resident_q", "")
    if request.method != "POST":
        form = NeedForm(communities=communities, residents=residents, resident_query=resident_query)
    elif "find_resident" in request.POST:
        # "Find" in the resident section: show the narrowed list, keep what was typed.
        initial = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        form = NeedForm(
            initial=initial,
            communities=communities,
            residents=residents,
            resident_query=resident_query,
        )
    else:
        form = NeedForm(
            request.POST,
            communities=communities,
            residents=residents,
            resident_query=resident_query,
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.file_need(
                    actor=user,
                    community=data["community"],
                    category=data["category"],
                    description=data["description"],
                    private=data["private"],
                    client_key=data.get("client_key"),
                    on_behalf_of=data.get("on_behalf_of"),
                )
            except (ServiceError, ValidationError) as exc:
                apply_error(request, exc, form)
            else:
                if data.get("on_behalf_of"):
                    messages.success(
                        request,
                        _("The request was filed for %(name)s.")
                        % {"name": data["on_behalf_of"].get_display_name()},
                    )
                else:
                    messages.success(
                        request, _("Your request was sent. Community staff will get back to you.")
                    )
                return form, redirect("teams:my_needs")
    can_file = request.method == "POST" or communities.exists()
    return (form if can_file else None), None


@login_required
def my_needs(request):
    form, filed = _need_form(request)
    if filed:
        return filed
    needs = selectors.own_needs(viewer=request.user)
    return render(request, "teams/my_needs.html", {"form": form, "needs": needs})


@login_required
def need_create(request):
    """The 求助 page: only the form, big and plain; after filing, the person's needs list."""
    form, filed = _need_form(request)
    if filed:
        return filed
    return render(request, "teams/need_form.html", {"form": form})
