"""Reads of activities used by pages, API, admin and the brand pages, keyword-only."""

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.utils import timezone

from .models import Activity, Attendance, Signup


def _waiting_up_to_me():
    """For a sign-up row: how many wait on its activity's list up to and including it (its
    position when it waits), as a subquery."""
    return Subquery(
        Signup.objects.filter(
            activity_id=OuterRef("activity_id"),
            status=Signup.Status.WAITLISTED,
            queue_number__lte=OuterRef("queue_number"),
        )
        .order_by()
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values("n")
    )


def activity_list(*, community=None, team=None, upcoming=False, now=None):
    """Listed activities (not drafts) with confirmed_count and waitlist_count: in `community`
    or below it, organised by `team`, only those not over yet when `upcoming` (soonest first;
    otherwise newest first)."""
    activities = Activity.objects.listed().select_related("community", "team").with_counts()
    if community is not None:
        activities = activities.filter(community__path__startswith=community.path)
    if team is not None:
        activities = activities.filter(team=team)
    if upcoming:
        activities = activities.filter(
            status=Activity.Status.PUBLISHED, ends_at__gt=now or timezone.now()
        ).order_by("starts_at", "pk")
    return activities


def activity_detail(*, pk: int):
    """One activity with its counts and required skills (any status: ask permissions.can_see)."""
    return (
        Activity.objects.select_related("community", "team", "organiser")
        .with_counts()
        .prefetch_related("required_skills")
        .get(pk=pk)
    )


def my_signup(*, person, activity) -> dict | None:
    """{status, position} of the person's sign-up that is not cancelled, or None."""
    return my_signups(person=person, activity_ids=[activity.pk]).get(activity.pk)


def attendance_list(*, activity):
    """Everyone confirmed or waiting, each with `attendance` (or None), in sign-up order; and
    anyone who attended without a live sign-up. Three queries."""
    signups = list(
        Signup.objects.filter(activity=activity)
        .exclude(status=Signup.Status.CANCELLED)
        .select_related("person", "recorded_by")
        .order_by("status", "queue_number", "created_at", "pk")
    )
    attendances = {
        attendance.person_id: attendance
        for attendance in Attendance.objects.filter(activity=activity).select_related(
            "person", "recorded_by", "record"
        )
    }
    for signup in signups:
        signup.attendance = attendances.pop(signup.person_id, None)
    return signups, list(attendances.values())


def attendances(*, activity):
    """The attendance rows of an activity, with person, recorder and service record."""
    return (
        Attendance.objects.filter(activity=activity)
        .select_related("person", "recorded_by", "record")
        .order_by("checked_in_at", "pk")
    )


def my_activities(*, person):
    """The person's sign-ups that are not cancelled, latest activity first, each activity
    with `mine`: the person's attendance (a list of at most one)."""
    return (
        Signup.objects.filter(person=person)
        .exclude(status=Signup.Status.CANCELLED)
        .select_related("activity", "activity__community", "activity__team")
        .prefetch_related(
            Prefetch(
                "activity__attendances",
                queryset=Attendance.objects.filter(person=person),
                to_attr="mine",
            )
        )
        .order_by("-activity__starts_at", "-pk")
    )


def my_signups(*, person, activity_ids) -> dict[int, dict]:
    """{activity id: {status, position}} of the person's sign-ups that are not cancelled, for
    any number of activities in one query (none for none or for an anonymous person)."""
    activity_ids = list(activity_ids)
    if not activity_ids or not getattr(person, "is_authenticated", False):
        return {}

    rows = (
        Signup.objects.filter(person=person, activity_id__in=activity_ids)
        .exclude(status=Signup.Status.CANCELLED)
        .annotate(ahead=_waiting_up_to_me())
        .values_list("activity_id", "status", "ahead")
    )
    return {
        activity_id: {
            "status": status,
            "position": ahead if status == Signup.Status.WAITLISTED else None,
        }
        for activity_id, status, ahead in rows
    }


def upcoming_for(*, person, limit: int, now=None) -> list[Signup]:
    """The person's places and waiting-list numbers in activities not over yet, soonest first,
    each with `position` (None with a place): one query."""
    signups = list(
        Signup.objects.filter(
            person=person,
            status__in=[Signup.Status.CONFIRMED, Signup.Status.WAITLISTED],
            activity__status=Activity.Status.PUBLISHED,
            activity__ends_at__gt=now or timezone.now(),
        )
        .select_related("activity", "activity__community")
        .annotate(ahead=_waiting_up_to_me())
        .order_by("activity__starts_at", "pk")[:limit]
    )
    for signup in signups:
        signup.position = signup.ahead if signup.status == Signup.Status.WAITLISTED else None
    return signups
