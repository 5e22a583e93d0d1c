"""The organiser's pages: create and edit an activity, and the attendance page used on the
phone at the door (QR code, counts, the list with assisted check-in, the paper sheet, hours,
sign-up for residents without a phone, close and cancel), its live fragment and its export.

Thin: permissions from activities.permissions, reads from activities.selectors, every change
through activities.services; a refusal becomes a form error or a message, never a 500.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from communities.models import Community
from communities.permissions import assisted_residents, is_staff_of, staffed_communities
from core import ids
from core.errors import ServiceError
from core.pages import apply_error
from live.models import Event
from teams.forms import resident_label, search_residents
from teams.models import ServiceRecord
from teams.permissions import led_teams

from . import codes, exports, qr, selectors, services
from . import permissions as perms
from .models import Activity, Attendance, Signup
from .organiser_forms import (
    ActivityForm,
    AssistForm,
    CancelForm,
    HoursForm,
    SheetForm,
    SignupForm,
)

#: How many residents the 代报名 search lists at once.
SEARCH_LIMIT = 20


# --- helpers -----------------------------------------------------------------------------------


def _managed(request, pk) -> Activity:
    """The activity (404 for an unknown or impossible id) if the user may manage it, else 403."""
    ids.require_in_range(pk)
    try:
        activity = selectors.activity_detail(pk=pk)
    except Activity.DoesNotExist:
        raise Http404 from None
    if not perms.may_manage(request.user, activity):
        raise PermissionDenied(_("Only the organiser or community staff can do this."))
    return activity


def _manage_url(activity, anchor="") -> str:
    url = reverse("activities:manage", args=[activity.pk])
    return f"{url}#{anchor}" if anchor else url


def _apply_service_errors(request, exc, form, mapping=None) -> None:
    """A service's field errors on the form's fields (renamed by `mapping`), else messages."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = (mapping or {}).get(field, field)
            for error in errors:
                form.add_error(target if target in form.fields else None, error)
        return
    apply_error(request, exc, form)


def _purpose(request) -> str:
    return "out" if request.GET.get("purpose") == "out" else "in"


# --- create and edit ---------------------------------------------------------------------------


def _organisable_communities(user):
    """Communities where the person may organise: those they staff and those their teams
    serve (communities, not streets and districts)."""
    return Community.objects.filter(
        Q(pk__in=staffed_communities(user).values("pk"))
        | Q(pk__in=led_teams(user).values("communities")),
        kind=Community.Kind.COMMUNITY,
    ).order_by("path")


def _choose_community(request):
    choices = list(_organisable_communities(request.user))
    if not choices:
        raise PermissionDenied(
            _("Only community staff, or a leader of a team serving it, can organise activities.")
        )
    query = request.GET.copy()
    if len(choices) == 1:
        query["community"] = choices[0].pk
        return redirect(f"{reverse('activities:create')}?{query.urlencode()}")
    links = []
    for community in choices:
        query["community"] = community.pk
        links.append((community, f"{reverse('activities:create')}?{query.urlencode()}"))
    return render(request, "activities/form.html", {"choose": links})


@login_required
def create(request):
    user = request.user
    raw = request.GET.get("community", "")
    if not raw:
        return _choose_community(request)
    if not ids.in_range(raw):
        raise Http404
    community = Community.objects.filter(pk=int(raw)).first()
    if community is None:
        raise Http404
    staff = is_staff_of(user, community)
    teams = perms.organising_teams(user, community).order_by("name")
    if not staff and not teams.exists():
        raise PermissionDenied(
            _("Only community staff, or a leader of a team serving it, can organise activities.")
        )
    initial = {}
    team_id = request.GET.get("team", "")
    if ids.in_range(team_id):
        initial["team"] = int(team_id)
    data = request.POST if request.method == "POST" else None
    form = ActivityForm(data, teams=teams, staff=staff, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                activity = services.create_activity(
                    actor=user,
                    community=community,
                    team=data.get("team"),
                    required_skills=[s.slug for s in data["required_skills"]],
                    publish_now=request.POST.get("action") == "publish",
                    **form.service_fields(),
                )
            except (ServiceError, ValidationError) as exc:
                _apply_service_errors(request, exc, form, ActivityForm.SERVICE_FIELDS)
            else:
                if activity.status == Activity.Status.PUBLISHED:
                    messages.success(request, _("The activity is published; people can sign up."))
                else:
                    messages.success(request, _("Saved as a draft. Nobody else sees it yet."))
                return redirect(_manage_url(activity))
        status = 400
    return render(
        request,
        "activities/form.html",
        {"form": form, "community": community, "activity": None},
        status=status,
    )


@login_required
def edit(request, pk):
    activity = _managed(request, pk)
    user = request.user
    if activity.status not in (Activity.Status.DRAFT, Activity.Status.PUBLISHED):
        messages.error(request, _("A cancelled or finished activity cannot be changed."))
        return redirect(_manage_url(activity))
    data = request.POST if request.method == "POST" else None
    form = ActivityForm(data, initial=ActivityForm.initial_for(activity))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                activity = services.update_activity(
                    actor=user,
                    activity=activity,
                    required_skills=[s.slug for s in data["required_skills"]],
                    **form.service_fields(),
                )
                if (
                    request.POST.get("action") == "publish"
                    and activity.status == Activity.Status.DRAFT
                ):
                    activity = services.publish_activity(actor=user, activity=activity)
            except (ServiceError, ValidationError) as exc:
                _apply_service_errors(request, exc, form, ActivityForm.SERVICE_FIELDS)
            else:
                if activity.status == Activity.Status.PUBLISHED:
                    messages.success(request, _("The activity is saved and published."))
                else:
                    messages.success(request, _("The draft is saved."))
                return redirect(_manage_url(activity))
        status = 400
    return render(
        request,
        "activities/form.html",
        {"form": form, "community": activity.community, "activity": activity},
        status=status,
    )


@login_required
@require_POST
def publish(request, pk):
    activity = _managed(request, pk)
    try:
        services.publish_activity(actor=request.user, activity=activity)
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
    else:
        messages.success(request, _("The activity is published; people can sign up."))
    return redirect(_manage_url(activity))


# --- the attendance page -----------------------------------------------------------------------


def _rows(activity, user, bound=None):
    """The attendance list, each row with what the organiser may do for that person, and the
    forms (a bound, invalid one for the row that was just sent)."""
    bound = bound or {}
    signups, walk_ins = selectors.attendance_list(activity=activity)
    open_ = activity.status == Activity.Status.PUBLISHED
    local_day = timezone.localtime(activity.starts_at).date()
    rows = []
    for signup in signups:
        rows.append(_row(signup.person, signup, signup.attendance))
    for attendance in walk_ins:
        rows.append(_row(attendance.person, None, attendance))
    for row in rows:
        person, attendance, signup = row["person"], row["attendance"], row["signup"]
        confirmed = signup is not None and signup.status == Signup.Status.CONFIRMED
        row["can_check_in"] = open_ and confirmed and attendance is None
        row["can_check_out"] = open_ and attendance is not None and not attendance.checked_out_at
        if (
            open_
            and (confirmed or attendance is not None)
            and not (attendance and attendance.checked_out_at)
        ):
            key = ("sheet", person.pk)
            row["sheet_form"] = bound.get(key) or SheetForm(
                needs_in=attendance is None,
                initial={"person": person.pk, "date": local_day},
                auto_id=f"id_sheet{person.pk}_%s",
            )
            row["sheet_open"] = key in bound
        record = attendance.record if attendance is not None else None
        if (
            record is not None
            and record.status == ServiceRecord.Status.PENDING
            and person.pk != user.pk
        ):
            key = ("hours", person.pk)
            row["hours_form"] = bound.get(key) or HoursForm(
                initial={"person": person.pk, "hours": record.hours},
                auto_id=f"id_hours{person.pk}_%s",
            )
            row["hours_open"] = key in bound
    return rows


def _row(person, signup, attendance):
    return {
        "person": person,
        "label": resident_label(person),
        "signup": signup,
        "attendance": attendance,
        "position": None,
    }


def _waiting_positions(rows) -> None:
    """The waiting-list position of each waiting row, from the order (no query per row)."""
    n = 0
    for row in rows:
        signup = row["signup"]
        if signup is not None and signup.status == Signup.Status.WAITLISTED:
            n += 1
            row["position"] = n


def _counts(activity, rows) -> dict:
    confirmed = sum(
        1 for r in rows if r["signup"] and r["signup"].status == Signup.Status.CONFIRMED
    )
    waiting = sum(1 for r in rows if r["signup"] and r["signup"].status == Signup.Status.WAITLISTED)
    arrived = sum(1 for r in rows if r["attendance"] is not None)
    left = sum(1 for r in rows if r["attendance"] is not None and r["attendance"].checked_out_at)
    places_left = None if activity.quota is None else max(activity.quota - confirmed, 0)
    return {
        "confirmed": confirmed,
        "waiting": waiting,
        "arrived": arrived,
        "left": left,
        "places_left": places_left,
    }


def _rows_context(activity, user, bound=None) -> dict:
    rows = _rows(activity, user, bound)
    _waiting_positions(rows)
    return {"activity": activity, "rows": rows, "counts": _counts(activity, rows)}


def _manage_context(request, activity, *, bound=None, cancel_form=None) -> dict:
    user = request.user
    purpose = _purpose(request)
    context = _rows_context(activity, user, bound)
    open_ = activity.status == Activity.Status.PUBLISHED
    if open_:
        context["qr"] = qr.current_code(request, activity, purpose)
    context.update(
        purpose=purpose,
        is_open=open_,
        can_cancel=activity.status in (Activity.Status.DRAFT, Activity.Status.PUBLISHED),
        cancel_form=cancel_form or CancelForm(),
        since=Event.objects.filter(topic=f"attendance:{activity.pk}")
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0,
        code_url=reverse("activities:code", args=[activity.pk]),
        rows_url=reverse("activities:attendance_rows", args=[activity.pk]),
        window=codes.WINDOW_SECONDS,
    )
    context.update(_search(request, activity) if open_ else {})
    return context


def _search(request, activity) -> dict:
    """The 代报名 search: verified residents of the community matching the name or phone."""
    query = (request.GET.get("q") or "").strip()[:60]
    found = []
    if query and not any(ch < " " for ch in query):
        residents = assisted_residents(activity.community)
        found = list(
            search_residents(residents, query).order_by("display_name", "pk")[:SEARCH_LIMIT]
        )
        taken = set(
            Signup.objects.filter(activity=activity, person__in=[p.pk for p in found])
            .exclude(status=Signup.Status.CANCELLED)
            .values_list("person_id", flat=True)
        )
        found = [
            {"person": p, "label": resident_label(p), "signed_up": p.pk in taken} for p in found
        ]
    return {"query": query, "found": found, "searched": bool(query)}


@login_required
@never_cache
def manage(request, pk):
    activity = _managed(request, pk)
    return render(request, "activities/manage.html", _manage_context(request, activity))


def _render_manage(request, activity, status=400, **kwargs):
    activity = selectors.activity_detail(pk=activity.pk)
    return render(
        request,
        "activities/manage.html",
        _manage_context(request, activity, **kwargs),
        status=status,
    )


@login_required
@never_cache
@require_GET
def attendance_rows(request, pk):
    """The counts and the list alone, for the page's script to swap in on a live event."""
    activity = _managed(request, pk)
    context = _rows_context(activity, request.user)
    return render(request, "activities/_manage_rows.html", context)


@never_cache
@require_GET
def code(request, pk):
    """{code, expires_at, url, svg} of now; the organiser's phone asks every 30 seconds."""
    ids.require_in_range(pk)
    activity = Activity.objects.select_related("community", "team").filter(pk=pk).first()
    if activity is None:
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    if not perms.may_manage(request.user, activity):
        return JsonResponse(
            {
                "detail": _("Only the organiser or community staff can do this."),
                "code": "forbidden",
            },
            status=403,
        )
    purpose = request.GET.get("purpose", "in")
    if purpose not in codes.PURPOSES:
        return JsonResponse(
            {
                "detail": _("Choose in or out."),
                "code": "invalid",
                "errors": {"purpose": ["in, out"]},
            },
            status=400,
        )
    if activity.status != Activity.Status.PUBLISHED:
        return JsonResponse(
            {
                "detail": _("Attendance can be taken only while the activity is open."),
                "code": "wrong_state",
            },
            status=409,
        )
    response = JsonResponse(qr.current_code(request, activity, purpose))
    response["Cache-Control"] = "no-store"
    return response


# --- acting for people -------------------------------------------------------------------------


def _person_in_list(activity, person_id):
    """The person with a sign-up (not cancelled) or an attendance at this activity, or None."""
    signed_up = (
        Signup.objects.filter(activity=activity)
        .exclude(status=Signup.Status.CANCELLED)
        .values("person_id")
    )
    attended = Attendance.objects.filter(activity=activity).values("person_id")
    return (
        get_user_model()
        .objects.filter(pk=person_id)
        .filter(Q(pk__in=signed_up) | Q(pk__in=attended))
        .first()
    )


def _bad_request(request, activity, message):
    messages.error(request, message)
    return _render_manage(request, activity)


@login_required
@require_POST
def assist(request, pk):
    """代签到 / 代签退: the organiser checks in or out someone without a phone, now."""
    activity = _managed(request, pk)
    form = AssistForm(request.POST)
    if not form.is_valid():
        return _bad_request(request, activity, _("Choose a person from the list."))
    person = _person_in_list(activity, form.cleaned_data["person"])
    if person is None:
        return _bad_request(request, activity, _("This person is not on the list."))
    purpose = form.cleaned_data["purpose"]
    name = person.get_display_name()
    try:
        if purpose == "in":
            services.check_in(actor=request.user, activity=activity, person=person)
            messages.success(request, _("%(name)s is checked in.") % {"name": name})
        else:
            services.check_out(actor=request.user, activity=activity, person=person)
            messages.success(request, _("%(name)s is checked out.") % {"name": name})
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
    return redirect(_manage_url(activity, f"person-{person.pk}"))


@login_required
@require_POST
def sheet(request, pk):
    """补录纸质签到表: the times of one line of the paper sheet."""
    activity = _managed(request, pk)
    raw = request.POST.get("person", "")
    person = _person_in_list(activity, int(raw)) if ids.in_range(raw) else None
    if person is None:
        return _bad_request(request, activity, _("This person is not on the list."))
    attendance = Attendance.objects.filter(activity=activity, person=person).first()
    form = SheetForm(request.POST, needs_in=attendance is None, auto_id=f"id_sheet{person.pk}_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            if attendance is None:
                services.record_sheet(
                    actor=request.user,
                    activity=activity,
                    person=person,
                    checked_in_at=data["checked_in_at"],
                    checked_out_at=data["checked_out_at"],
                )
            else:
                services.check_out(
                    actor=request.user, activity=activity, person=person, at=data["checked_out_at"]
                )
        except (ServiceError, ValidationError) as exc:
            # record_sheet checks in, then out: the error is the time-out's once the person
            # is checked in.
            checked_in = (
                attendance is not None
                or Attendance.objects.filter(activity=activity, person=person).exists()
            )
            field = "out_time" if checked_in else "in_time"
            _apply_service_errors(request, exc, form, {"at": field})
        else:
            messages.success(
                request,
                _("The sheet's times of %(name)s are recorded.")
                % {"name": person.get_display_name()},
            )
            return redirect(_manage_url(activity, f"person-{person.pk}"))
    if not form.errors:
        return redirect(_manage_url(activity, f"person-{person.pk}"))
    return _render_manage(request, activity, bound={("sheet", person.pk): form})


@login_required
@require_POST
def correct(request, pk):
    """修改时长: correct one person's pending hours, with a reason."""
    activity = _managed(request, pk)
    raw = request.POST.get("person", "")
    attendance = None
    if ids.in_range(raw):
        attendance = (
            Attendance.objects.select_related("activity", "record", "person")
            .filter(activity=activity, person_id=int(raw))
            .first()
        )
    if attendance is None:
        return _bad_request(request, activity, _("This person is not on the list."))
    person = attendance.person
    form = HoursForm(request.POST, auto_id=f"id_hours{person.pk}_%s")
    if form.is_valid():
        try:
            services.correct_hours(
                actor=request.user,
                attendance=attendance,
                hours=form.cleaned_data["hours"],
                reason=form.cleaned_data["reason"],
            )
        except (ServiceError, ValidationError) as exc:
            _apply_service_errors(request, exc, form)
        else:
            messages.success(
                request,
                _("The hours of %(name)s are corrected.") % {"name": person.get_display_name()},
            )
            return redirect(_manage_url(activity, f"person-{person.pk}"))
    if not form.errors:
        return redirect(_manage_url(activity, f"person-{person.pk}"))
    return _render_manage(request, activity, bound={("hours", person.pk): form})


@login_required
@require_POST
def signup_for(request, pk):
    """代报名: sign up a verified resident of the community who asked in person or by phone."""
    activity = _managed(request, pk)
    form = SignupForm(request.POST)
    person = None
    if form.is_valid():
        person = (
            assisted_residents(activity.community).filter(pk=form.cleaned_data["person"]).first()
        )
    if person is None:
        return _bad_request(
            request, activity, _("Choose a verified resident of this community from the search.")
        )
    try:
        signup, _created = services.sign_up(actor=request.user, activity=activity, person=person)
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
        return redirect(_manage_url(activity, "signup-for"))
    values = {"name": person.get_display_name()}
    if signup.status == Signup.Status.CONFIRMED:
        messages.success(request, _("%(name)s is signed up.") % values)
    else:
        values["position"] = services.position(signup)
        messages.success(
            request, _("%(name)s is on the waiting list, number %(position)s.") % values
        )
    return redirect(_manage_url(activity, f"person-{person.pk}"))


# --- close and cancel --------------------------------------------------------------------------


@login_required
def close(request, pk):
    """结束活动并确认时长: GET asks to confirm (naming who checked in but not out: they get no
    hours); POST closes and approves the pending hours."""
    activity = _managed(request, pk)
    if request.method == "POST":
        try:
            activity, approved = services.close_activity(actor=request.user, activity=activity)
        except (ServiceError, ValidationError) as exc:
            apply_error(request, exc)
        else:
            messages.success(
                request,
                _("The activity is finished; %(n)s people's hours are approved.") % {"n": approved},
            )
        return redirect(_manage_url(activity))
    still_in = list(selectors.attendances(activity=activity).filter(checked_out_at__isnull=True))
    pending = ServiceRecord.objects.filter(
        attendance__activity=activity, status=ServiceRecord.Status.PENDING
    ).count()
    return render(
        request,
        "activities/_manage_close.html",
        {"activity": activity, "still_in": still_in, "pending": pending},
    )


@login_required
@require_POST
def cancel(request, pk):
    """取消活动: call it off with a reason; everyone signed up is told."""
    activity = _managed(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_activity(
                actor=request.user, activity=activity, reason=form.cleaned_data["reason"]
            )
        except (ServiceError, ValidationError) as exc:
            _apply_service_errors(request, exc, form)
            if not form.errors:
                return redirect(_manage_url(activity))
        else:
            messages.success(request, _("The activity is cancelled; everyone signed up is told."))
            return redirect(_manage_url(activity))
    return _render_manage(request, activity, cancel_form=form)


# --- export ------------------------------------------------------------------------------------


@login_required
@require_GET
def export(request, pk):
    activity = _managed(request, pk)
    if request.GET.get("format") == "xlsx":
        return exports.xlsx_response(activity)
    return exports.csv_response(activity)
