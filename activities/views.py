"""The resident-facing activity pages: the list, an activity's page with the one big sign-up
button, the page a scanned check-in or check-out code lands on, and 我的活动.

Thin: a selector or a service, then a template. Who may do what is asked of
`activities.permissions`; every change goes through `activities.services`. The organiser's
pages are in organiser_views.py.
"""

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities.models import Community
from core import ids
from core.errors import ServiceError
from core.pages import apply_error, error_status
from live.models import Event

from . import codes, selectors, services
from . import permissions as perms
from .forms import TicketForm
from .models import Activity, Attendance, Signup, TrainingRecord

PER_PAGE = 20
PAST_ON_LIST = 5
DETAIL_PARTS = ("status", "mine", "facts")

#: What to do after a refused check-in or check-out, by the service's refusal code.
NEXT_STEPS = {
    "invalid_code": gettext_lazy(
        "Ask the organiser to show the code again, then scan it with your phone's camera."
    ),
    "wrong_code": gettext_lazy("Ask the organiser to show the other code."),
    "not_signed_up": gettext_lazy(
        "Sign up on the activity's page if places are left, or ask the organiser to sign you "
        "up at the desk."
    ),
    "waitlisted": gettext_lazy(
        "The organiser can give you a place if someone has not come; then scan again."
    ),
    "too_early": gettext_lazy("Come back and scan the code when the activity is about to start."),
    "too_late": gettext_lazy("The organiser can still check you in or out from their list."),
    "wrong_state": gettext_lazy("Ask the organiser; they can see what happened to the activity."),
    "not_checked_in": gettext_lazy(
        "Scan the check-in code first, or ask the organiser to check you in."
    ),
}


# --- helpers -----------------------------------------------------------------------------------


def _since(topic: str) -> int:
    """The newest event id of a topic: the page is drawn from the state after it."""
    return (
        Event.objects.filter(topic=topic).order_by("-id").values_list("id", flat=True).first() or 0
    )


def _activity(request, pk) -> Activity:
    """The activity with its counts and skills, or 404 (drafts too, for those who may not
    manage them)."""
    ids.require_in_range(pk)
    try:
        activity = selectors.activity_detail(pk=pk)
    except Activity.DoesNotExist:
        raise Http404 from None
    if not perms.can_see(request.user, activity):
        raise Http404
    return activity


def _places(activity) -> dict:
    """How the places stand, from the counts annotated on the activity."""
    confirmed = getattr(activity, "confirmed_count", 0) or 0
    waiting = getattr(activity, "waitlist_count", 0) or 0
    left = None if activity.quota is None else max(activity.quota - confirmed, 0)
    return {
        "confirmed": confirmed,
        "waiting": waiting,
        "left": left,
        "full": left == 0,
    }


def _decorate(activities, mine: dict) -> list:
    activities = list(activities)
    for activity in activities:
        activity.places = _places(activity)
        activity.my_signup = mine.get(activity.pk)
        activity.until = _until(activity)
    return activities


def _clock(value) -> str:
    """The time of day in the language's TIME_FORMAT, the time part of its DATETIME_FORMAT
    (14:02; 2:02 p.m.): templates ask for named date formats only (test_date_format)."""
    return formats.time_format(timezone.localtime(value)) if value else ""


def _until(activity) -> str:
    """When it ends: the time alone when it ends on the day it starts."""
    if timezone.localdate(activity.starts_at) == timezone.localdate(activity.ends_at):
        return _clock(activity.ends_at)
    return formats.date_format(timezone.localtime(activity.ends_at), "DATETIME_FORMAT")


def _hours(value) -> str:
    """2.50 -> "2.5", 3.00 -> "3": hours as people say them."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def _community_filter(request):
    value = request.GET.get("community", "")
    if not ids.in_range(value):
        return None
    return Community.objects.filter(pk=int(value)).first()


# --- the list ----------------------------------------------------------------------------------


def activity_list(request):
    """Upcoming activities soonest first, then the latest past ones (all of them, page by
    page, with ?past=1); ?community= keeps those of a community and the ones below it."""
    community = _community_filter(request)
    past = request.GET.get("past") == "1"
    now = timezone.now()
    listed = selectors.activity_list(community=community)
    ended = Q(status__in=[Activity.Status.CANCELLED, Activity.Status.FINISHED]) | Q(
        ends_at__lte=now
    )
    past_qs = listed.filter(ended).order_by("-starts_at", "-pk")
    if past:
        page = Paginator(past_qs, PER_PAGE).get_page(request.GET.get("page"))
        shown, recent_past = page.object_list, []
    else:
        upcoming = selectors.activity_list(community=community, upcoming=True, now=now)
        page = Paginator(upcoming, PER_PAGE).get_page(request.GET.get("page"))
        shown = page.object_list
        recent_past = list(past_qs[:PAST_ON_LIST]) if not page.has_next() else []
    shown = list(shown)
    mine = selectors.my_signups(
        person=request.user, activity_ids=[a.pk for a in shown + recent_past]
    )
    query = {"community": community.pk} if community else {}
    return render(
        request,
        "activities/list.html",
        {
            "community": community,
            "past": past,
            "page": page,
            "activities": _decorate(shown, mine),
            "recent_past": _decorate(recent_past, mine),
            "query": urlencode(query),
            "past_query": urlencode({**query, "past": 1}),
        },
    )


# --- an activity's page ------------------------------------------------------------------------


def _my_state(user, activity) -> dict:
    """The person's sign-up, waiting-list number, attendance and hours for this activity."""
    state = {
        "signup": None,
        "position": None,
        "attendance": None,
        "hours": "",
        "training": None,
    }
    if not user.is_authenticated:
        return state
    signup = (
        Signup.objects.filter(activity=activity, person=user)
        .exclude(status=Signup.Status.CANCELLED)
        .first()
    )
    attendance = (
        Attendance.objects.filter(activity=activity, person=user)
        .select_related("record", "training_record")
        .first()
    )
    state["signup"] = signup
    if signup is not None and signup.status == Signup.Status.WAITLISTED:
        state["position"] = services.position(signup)
    if attendance is not None:
        state["attendance"] = attendance
        state["in_clock"] = _clock(attendance.checked_in_at)
        state["out_clock"] = _clock(attendance.checked_out_at)
        state["hours"] = _hours(attendance.hours)
        try:
            state["training"] = attendance.training_record
        except TrainingRecord.DoesNotExist:
            state["training"] = None
    return state


def _detail_context(request, activity) -> dict:
    user = request.user
    state = _my_state(user, activity)
    refusal = None
    if state["signup"] is None and state["attendance"] is None:
        refusal = perms.signup_refusal(user, activity)
    is_open = activity.status == Activity.Status.PUBLISHED
    places = _places(activity)
    return {
        "activity": activity,
        "places": places,
        "skills": list(activity.required_skills.all()),
        "state": state,
        "can_sign_up": state["signup"] is None and state["attendance"] is None and not refusal,
        "refusal": refusal,
        "can_cancel": is_open and state["signup"] is not None and state["attendance"] is None,
        "may_manage": perms.may_manage(user, activity),
        "until": _until(activity),
        "started": activity.starts_at <= timezone.now(),
    }


def detail(request, pk):
    activity = _activity(request, pk)
    context = _detail_context(request, activity)
    context["since"] = _since(f"activity:{activity.pk}")
    context["live"] = activity.status == Activity.Status.PUBLISHED
    return render(request, "activities/detail.html", context)


def detail_parts(request, pk):
    """The parts of the activity page that change (its status, the person's own state with
    the button, the facts with the places left), drawn for this reader as the page draws
    them: activity-live.js swaps them in after a live event. 404 as the page."""
    activity = _activity(request, pk)
    context = _detail_context(request, activity)
    parts = {
        name: render_to_string(f"activities/_public_{name}.html", context, request=request)
        for name in DETAIL_PARTS
    }
    response = JsonResponse({"status": activity.status, "parts": parts})
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_POST
def signup(request, pk):
    activity = _activity(request, pk)
    try:
        signup, created = services.sign_up(actor=request.user, activity=activity)
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
        return redirect(activity)
    if signup.status == Signup.Status.WAITLISTED:
        number = services.position(signup)
        if created:
            text = _(
                "All places are taken: you are number %(n)s on the waiting list. We will tell "
                "you as soon as a place comes free."
            )
        else:
            text = _("You are already on the waiting list, number %(n)s.")
        messages.info(request, text % {"n": number})
    elif created:
        messages.success(request, _("You are signed up. See you there!"))
    else:
        messages.info(request, _("You are already signed up."))
    return redirect(activity)


@login_required
@require_POST
def cancel_signup(request, pk):
    activity = _activity(request, pk)
    was = (
        Signup.objects.filter(activity=activity, person=request.user)
        .values_list("status", flat=True)
        .first()
    )
    try:
        services.cancel_signup(actor=request.user, activity=activity)
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
        return redirect(activity)
    if was == Signup.Status.WAITLISTED:
        messages.success(request, _("You have left the waiting list."))
    elif was == Signup.Status.CONFIRMED:
        messages.success(request, _("Your sign-up is cancelled. Your place goes to someone else."))
    else:
        messages.info(request, _("You were not signed up."))
    return redirect(activity)


# --- the page a scanned code lands on ----------------------------------------------------------


def _scan_refusal(activity, purpose: str, code) -> tuple[str, str]:
    """Why a scanned code is not taken: (refusal code, what it says)."""
    other = "out" if purpose == "in" else "in"
    if codes.is_valid(activity, other, code):
        if purpose == "in":
            return "wrong_code", _("This is the check-out code; scan the check-in code.")
        return "wrong_code", _("This is the check-in code; scan the check-out code.")
    return "invalid_code", _(
        "This code has expired or belongs to another activity. Scan the code shown now."
    )


def _scan_context(activity, purpose: str, **extra) -> dict:
    name = "activities:check_in" if purpose == "in" else "activities:check_out"
    return {
        "activity": activity,
        "purpose": purpose,
        "action_url": reverse(name, args=[activity.pk]),
        **extra,
    }


def _refused(request, activity, purpose, code: str, message: str, status: int):
    context = _scan_context(
        activity,
        purpose,
        refusal={"code": code, "message": message, "next_step": NEXT_STEPS.get(code, "")},
    )
    return render(request, "activities/scan.html", context, status=status)


def _done(request, activity, purpose, attendance, created: bool):
    hours = _hours(attendance.hours) if purpose == "out" else ""
    context = _scan_context(
        activity,
        purpose,
        done={
            "attendance": attendance,
            "clock": _clock(
                attendance.checked_in_at if purpose == "in" else attendance.checked_out_at
            ),
            "created": created,
            "hours": hours,
            "record": attendance.record if purpose == "out" else None,
        },
    )
    return render(request, "activities/scan.html", context)


def _session_key(activity, purpose: str) -> str:
    return f"activity-scan:{activity.pk}:{purpose}"


def _scan(request, pk, purpose: str):
    """GET ?code= (from the QR): the code becomes a ticket so that signing in first does not
    outlast it. Signed out, the ticket waits in this browser's session while its owner signs in
    (Django keeps session data across login) and comes back here; signed in, a ticket naming
    the person goes into a page whose one button (pressed by activity-scan.js on load) posts
    it. POST: check in or out with the ticket."""
    activity = _activity(request, pk)
    user = request.user
    if request.method == "POST":
        form = TicketForm(request.POST)
        ticket = form.cleaned_data["ticket"] if form.is_valid() else None
        if not user.is_authenticated:
            return redirect_to_login(request.path)
        if not ticket:
            return _refused(
                request,
                activity,
                purpose,
                "invalid_code",
                _("This link has expired. Scan the code on the organiser's phone again."),
                400,
            )
        call = services.check_in if purpose == "in" else services.check_out
        try:
            attendance, created = call(actor=user, activity=activity, ticket=ticket)
        except ServiceError as exc:
            return _refused(request, activity, purpose, exc.code, str(exc.detail), exc.status)
        except ValidationError as exc:
            return _refused(
                request, activity, purpose, "invalid", " ".join(exc.messages), error_status(exc)
            )
        return _done(request, activity, purpose, attendance, created)

    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    code = request.GET.get("code")
    waiting = request.session.get(_session_key(activity, purpose))
    if code is not None:
        if not codes.is_valid(activity, purpose, code):
            refusal_code, message = _scan_refusal(activity, purpose, code)
            return _refused(request, activity, purpose, refusal_code, message, 400)
        if not user.is_authenticated:
            request.session[_session_key(activity, purpose)] = codes.ticket(activity, purpose, None)
            return redirect_to_login(request.path)
    elif waiting is not None and user.is_authenticated:
        del request.session[_session_key(activity, purpose)]
        if not codes.ticket_is_valid(activity, purpose, waiting, None):
            return _refused(
                request,
                activity,
                purpose,
                "invalid_code",
                _("This link has expired. Scan the code on the organiser's phone again."),
                400,
            )
    else:
        return render(request, "activities/scan.html", _scan_context(activity, purpose))
    ticket = codes.ticket(activity, purpose, user.pk)
    attendance = Attendance.objects.filter(activity=activity, person=user).first()
    if attendance is not None and (purpose == "in" or attendance.checked_out_at is not None):
        return _done(request, activity, purpose, attendance, False)
    context = _scan_context(activity, purpose, form=TicketForm(initial={"ticket": ticket}))
    return render(request, "activities/scan.html", context)


def check_in(request, pk):
    return _scan(request, pk, "in")


def check_out(request, pk):
    return _scan(request, pk, "out")


# --- 我的活动 -----------------------------------------------------------------------------------


@login_required
def mine(request):
    """My sign-ups (the coming ones first, soonest first; then the past ones), my trainings and
    the activities I attended with their hours. A fixed number of queries."""
    user = request.user
    now = timezone.now()
    signups = list(selectors.my_activities(person=user))
    positions = selectors.my_signups(
        person=user,
        activity_ids=[s.activity_id for s in signups if s.status == Signup.Status.WAITLISTED],
    )
    coming, past = [], []
    for signup in signups:
        activity = signup.activity
        signup.position = (positions.get(activity.pk) or {}).get("position")
        signup.my_attendance = activity.mine[0] if activity.mine else None
        if activity.status == Activity.Status.PUBLISHED and activity.ends_at > now:
            coming.append(signup)
        else:
            past.append(signup)
    coming.sort(key=lambda s: (s.activity.starts_at, s.activity.pk))
    # Past sign-ups without an attendance: the attended ones are listed with their hours.
    missed = [s for s in past if s.my_attendance is None]
    attended = list(
        Attendance.objects.filter(person=user)
        .select_related("activity", "activity__community", "activity__team", "record")
        .order_by("-checked_in_at", "-pk")
    )
    for attendance in attended:
        attendance.hours_text = _hours(attendance.hours)
        attendance.out_clock = _clock(attendance.checked_out_at)
    trainings = list(
        TrainingRecord.objects.filter(person=user)
        .select_related("activity", "activity__team", "activity__community")
        .order_by("-date", "-pk")
    )
    for record in trainings:
        record.hours_text = _hours(record.hours)
    return render(
        request,
        "activities/mine.html",
        {"coming": coming, "missed": missed, "attended": attended, "trainings": trainings},
    )
