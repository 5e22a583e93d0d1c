"""Every state change of activities, sign-ups and attendance. Pages, API, admin and commands
call these; nothing else writes.

Places are settled by the database: a sign-up, a cancellation and a change of quota lock the
activity's row (select_for_update; SQLite runs each transaction IMMEDIATE, which serialises
them the same way) and count the confirmed rows under that lock, so twenty people asking for
ten places at once get ten places and ten waiting-list numbers in the order they got the lock.
"""

import datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from core.errors import Conflict, NotAllowed
from core.reasons import required_reason
from live.services import publish
from live.texts import localized, text_fields
from teams.models import ServiceRecord, Skill
from teams.schemas import person_ref
from teams.services.common import require_signed_in
from teams.services.hours import hours_text as record_hours_text
from teams.services.hours import record_data

from . import codes
from . import permissions as perms
from .models import Activity, Attendance, Signup, TrainingRecord

#: Code check-in opens this long before the start.
CHECK_IN_OPENS = datetime.timedelta(hours=1)
#: Code check-out stays open this long after the end (the hours still stop at the end).
CHECK_OUT_CLOSES = datetime.timedelta(hours=2)
#: A paper sheet's times lie within this much of the activity's window.
SHEET_MARGIN = datetime.timedelta(hours=12)
MAX_DURATION = datetime.timedelta(hours=24)
REMINDER_AHEAD = datetime.timedelta(hours=24)

#: What an organiser states and may change (create_activity, update_activity; the forms send them).
ACTIVITY_FIELDS = (
    "title",
    "description",
    "kind",
    "place",
    "starts_at",
    "ends_at",
    "quota",
    "audience",
)
TITLE_MAX = Activity._meta.get_field("title").max_length
PLACE_MAX = Activity._meta.get_field("place").max_length


# --- what events carry -------------------------------------------------------------------------


def counts(activity: Activity) -> dict:
    """confirmed_count, waitlist_count and places_left (None without a quota), read now."""
    confirmed, waitlisted = (
        Activity.objects.with_counts()
        .values_list("confirmed_count", "waitlist_count")
        .get(pk=activity.pk)
    )
    left = None if activity.quota is None else max(activity.quota - confirmed, 0)
    return {"confirmed_count": confirmed, "waitlist_count": waitlisted, "places_left": left}


def activity_data(activity: Activity, text=None, **extra) -> dict:
    data = {
        "id": activity.pk,
        "title": activity.title,
        "kind": activity.kind,
        "status": activity.status,
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat(),
        "place": activity.place,
        "quota": activity.quota,
        "url": activity.get_absolute_url(),
        **extra,
    }
    if text is not None:
        data.update(text_fields(text))
    return data


def hours_text(hours) -> str | None:
    """Hours as the API and events write them ("2.50"), None for none."""
    return None if hours is None else record_hours_text(hours)


def attendance_data(attendance: Attendance) -> dict:
    record = attendance.record
    return {
        "person": person_ref(attendance.person),
        "checked_in_at": attendance.checked_in_at.isoformat(),
        "checked_out_at": (
            attendance.checked_out_at.isoformat() if attendance.checked_out_at else None
        ),
        "method": attendance.check_in_method,
        "check_out_method": attendance.check_out_method or None,
        "recorded_by": person_ref(attendance.recorded_by),
        "hours": hours_text(attendance.hours),
        "record": (
            {"id": record.pk, "status": record.status, "hours": hours_text(record.hours)}
            if record is not None
            else None
        ),
    }


def _places_changed(activity: Activity, actor) -> dict:
    data = activity_data(activity, **counts(activity))
    publish(topic=f"activity:{activity.pk}", type="activity.places", data=data, actor=actor)
    publish(topic=f"attendance:{activity.pk}", type="activity.places", data=data, actor=actor)
    return data


def _tell(person_ids, type: str, activity: Activity, text, actor, **extra) -> None:
    data = activity_data(activity, text, **extra)
    for person_id in sorted(set(person_ids)):
        publish(topic=f"user:{person_id}", type=type, data=data, actor=actor)


# --- activities --------------------------------------------------------------------------------


def _clean_fields(
    *, title, description, kind, place, starts_at, ends_at, quota, audience, team
) -> dict:
    errors = {}
    title = (title or "").strip()
    place = (place or "").strip()
    if not title:
        errors["title"] = [_("Give the activity a title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("Keep the title under %(max)s characters.") % {"max": TITLE_MAX}]
    if not place:
        errors["place"] = [_("Say where it takes place.")]
    elif len(place) > PLACE_MAX:
        errors["place"] = [_("Keep the place under %(max)s characters.") % {"max": PLACE_MAX}]
    if kind not in Activity.Kind.values:
        errors["kind"] = [_("Choose a valid kind.")]
    if audience not in Activity.Audience.values:
        errors["audience"] = [_("Choose who may sign up.")]
    elif audience == Activity.Audience.TEAM and team is None:
        errors["audience"] = [_("Choose the organising team to open it to its volunteers.")]
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime.datetime):
            errors[name] = [_("Enter a date and time.")]
    if "starts_at" not in errors and "ends_at" not in errors:
        if timezone.is_naive(starts_at):
            starts_at = timezone.make_aware(starts_at)
        if timezone.is_naive(ends_at):
            ends_at = timezone.make_aware(ends_at)
        if ends_at <= starts_at:
            errors["ends_at"] = [_("The end must come after the start.")]
        elif ends_at - starts_at > MAX_DURATION:
            errors["ends_at"] = [_("An activity lasts at most 24 hours; make one for each day.")]
    if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int) or quota < 1):
        errors["quota"] = [_("Places must be a whole number of at least 1, or empty.")]
    elif quota is not None and quota > 100000:
        errors["quota"] = [_("That is more places than any activity has.")]
    if len(description or "") > 5000:
        errors["description"] = [_("Keep the description under 5000 characters.")]
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "description": (description or "").strip(),
        "kind": kind,
        "place": place,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "quota": quota,
        "audience": audience,
    }


def _skills(required_skills) -> list[Skill]:
    slugs = []
    for value in required_skills or ():
        slug = value.slug if isinstance(value, Skill) else value
        if slug not in slugs:
            slugs.append(slug)
    skills = {skill.slug: skill for skill in Skill.objects.filter(slug__in=slugs)}
    unknown = [slug for slug in slugs if slug not in skills]
    if unknown:
        raise ValidationError(
            {
                "required_skills": [
                    _("Unknown skill: %(slugs)s") % {"slugs": ", ".join(map(str, unknown))}
                ]
            }
        )
    return [skills[slug] for slug in slugs]


def create_activity(
    *,
    actor,
    community,
    title: str,
    kind: str,
    place: str,
    starts_at,
    ends_at,
    description: str = "",
    quota: int | None = None,
    team=None,
    required_skills=(),
    audience: str = Activity.Audience.RESIDENTS,
    publish_now: bool = True,
) -> Activity:
    """Staff of the community, or a leader of a team serving it (for that team), organise an
    activity; published at once unless `publish_now` is False."""
    require_signed_in(actor)
    if team is not None and not perms.can_create_activity(actor, community, team):
        raise ValidationError(
            {"team": [_("Choose an active team that serves this community and that you lead.")]}
        )
    if not perms.can_create_activity(actor, community, team):
        raise NotAllowed(
            _("Only community staff, or a leader of a team serving it, can organise activities.")
        )
    fields = _clean_fields(
        title=title,
        description=description,
        kind=kind,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        quota=quota,
        audience=audience,
        team=team,
    )
    skills = _skills(required_skills)
    if fields["ends_at"] <= timezone.now():
        raise ValidationError({"ends_at": [_("The activity would already be over.")]})
    with transaction.atomic():
        activity = Activity.objects.create(
            community=community, team=team, organiser=actor, **fields
        )
        activity.required_skills.set(skills)
        log(instance=activity, action="linli.activity.create", user=actor)
        if publish_now:
            _publish(activity, actor)
    return activity


def _publish(activity: Activity, actor) -> None:
    now = timezone.now()
    Activity.objects.filter(pk=activity.pk).update(
        status=Activity.Status.PUBLISHED, published_at=now
    )
    activity.status = Activity.Status.PUBLISHED
    activity.published_at = now
    log(instance=activity, action="linli.activity.publish", user=actor)
    text = localized(
        gettext_lazy("New activity: “%(title)s” on %(when)s."),
        {"title": activity.title, "when": activity.starts_at},
    )
    publish(
        topic=f"community:{activity.community_id}",
        type="activity.published",
        data=activity_data(activity, text),
        actor=actor,
    )


def _locked(activity: Activity) -> Activity:
    return (
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the team join.
        Activity.objects.select_for_update(of=("self",))
        .select_related("community", "team")
        .get(pk=activity.pk)
    )


def _require_status(activity: Activity, allowed, message) -> None:
    """A 409 naming the current status unless the activity is in one of `allowed`."""
    if activity.status not in allowed:
        raise Conflict(message, code="wrong_state", extra={"current_status": activity.status})


def _require_manager(actor, activity: Activity) -> None:
    require_signed_in(actor)
    if not perms.may_manage(actor, activity):
        raise NotAllowed(_("Only the organiser or community staff can do this."))


def publish_activity(*, actor, activity: Activity) -> Activity:
    _require_manager(actor, activity)
    with transaction.atomic():
        activity = _locked(activity)
        _require_status(activity, (Activity.Status.DRAFT,), _("Only a draft can be published."))
        if activity.ends_at <= timezone.now():
            raise ValidationError({"ends_at": [_("The activity would already be over.")]})
        _publish(activity, actor)
    return activity


def update_activity(*, actor, activity: Activity, required_skills=None, **changes) -> Activity:
    """Change what the organiser may change before the activity is over; more places promote
    people from the waiting list at once, fewer never take a confirmed place away."""
    _require_manager(actor, activity)
    unknown = set(changes) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This cannot be changed.")] for name in sorted(unknown)})
    with transaction.atomic():
        activity = _locked(activity)
        _require_status(
            activity,
            (Activity.Status.DRAFT, Activity.Status.PUBLISHED),
            _("A cancelled or finished activity cannot be changed."),
        )
        values = {name: changes.get(name, getattr(activity, name)) for name in ACTIVITY_FIELDS}
        fields = _clean_fields(team=activity.team, **values)
        if "kind" in changes and changes["kind"] != activity.kind and activity.attendances.exists():
            raise ValidationError({"kind": [_("People have checked in; the kind stays.")]})
        skills = _skills(required_skills) if required_skills is not None else None
        for name, value in fields.items():
            setattr(activity, name, value)
        activity.save()
        if skills is not None:
            activity.required_skills.set(skills)
        log(instance=activity, action="linli.activity.edit", user=actor)
        promoted = _fill_places(activity)
        _tell_promoted(activity, promoted, actor)
        text = localized(gettext_lazy("“%(title)s” was changed."), {"title": activity.title})
        publish(
            topic=f"activity:{activity.pk}",
            type="activity.changed",
            data=activity_data(activity, text, **counts(activity)),
            actor=actor,
        )
    return activity


def cancel_activity(*, actor, activity: Activity, reason: str) -> Activity:
    """Call it off: everyone signed up (or waiting) is told, with the reason."""
    _require_manager(actor, activity)
    reason = required_reason(reason, missing=_("Say why the activity is cancelled."))
    with transaction.atomic():
        activity = _locked(activity)
        _require_status(
            activity,
            (Activity.Status.DRAFT, Activity.Status.PUBLISHED),
            _("This activity is already cancelled or finished."),
        )
        if activity.attendances.exists():
            raise Conflict(
                _("People have checked in; close the activity instead."), code="wrong_state"
            )
        activity.status = Activity.Status.CANCELLED
        activity.cancel_reason = reason
        activity.save(update_fields=["status", "cancel_reason"])
        log(instance=activity, action="linli.activity.cancel", user=actor, data={"reason": reason})
        people = list(
            activity.signups.exclude(status=Signup.Status.CANCELLED).values_list(
                "person_id", flat=True
            )
        )
        text = localized(
            gettext_lazy("“%(title)s” on %(when)s is cancelled: %(reason)s"),
            {"title": activity.title, "when": activity.starts_at, "reason": reason},
        )
        _tell(
            [p for p in people if p != actor.pk],
            "activity.cancelled",
            activity,
            text,
            actor,
            reason=reason,
        )
        publish(
            topic=f"activity:{activity.pk}",
            type="activity.cancelled",
            data=activity_data(activity, text, reason=reason),
            actor=actor,
        )
    return activity


# --- sign-up and the waiting list ---------------------------------------------------------------


def position(signup: Signup) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if signup.status != Signup.Status.WAITLISTED:
        return None
    return Signup.objects.filter(
        activity_id=signup.activity_id,
        status=Signup.Status.WAITLISTED,
        queue_number__lte=signup.queue_number,
    ).count()


def _person(actor, activity: Activity, person):
    """The person acted for: the actor, or (organiser or staff only) someone else."""
    if person is None or person.pk == actor.pk:
        return actor, False
    if not perms.may_sign_up_for_others(actor, activity):
        raise NotAllowed(_("Only the organiser or community staff can act for someone else."))
    return person, True


def sign_up(*, actor, activity: Activity, person=None) -> tuple[Signup, bool]:
    """Sign `person` (default: the actor) up: a place if one is free, else the waiting list.
    Returns (sign-up, created); asking again changes nothing and returns the same."""
    require_signed_in(actor)
    person, assisted = _person(actor, activity, person)
    with transaction.atomic():
        activity = _locked(activity)
        existing = Signup.objects.filter(activity=activity, person=person).first()
        if existing is not None and existing.status != Signup.Status.CANCELLED:
            return existing, False
        if assisted:
            refusal = _assisted_refusal(activity, person)
        else:
            refusal = perms.signup_refusal(person, activity)
        if refusal is not None:
            raise NotAllowed(refusal.message, code=refusal.code)
        confirmed = Signup.objects.filter(activity=activity, status=Signup.Status.CONFIRMED).count()
        if activity.quota is None or confirmed < activity.quota:
            status, queue_number = Signup.Status.CONFIRMED, None
        else:
            status = Signup.Status.WAITLISTED
            last = Signup.objects.filter(activity=activity).aggregate(last=Max("queue_number"))
            queue_number = (last["last"] or 0) + 1
        signup = existing or Signup(activity=activity, person=person)
        signup.status = status
        signup.queue_number = queue_number
        signup.assisted = assisted
        signup.recorded_by = actor if assisted else None
        signup.reminded_at = None
        signup.save()
        log(
            instance=activity,
            action="linli.activity.signup",
            user=actor,
            data={"person": person.pk, "status": status, "assisted": assisted},
        )
        _places_changed(activity, actor)
    return signup, True


def _assisted_refusal(activity: Activity, person):
    """The organiser signs someone up at the desk: the activity must be open and the person in
    its audience; the start may have passed (walk-ins)."""
    if activity.status != Activity.Status.PUBLISHED:
        return perms.Refusal("not_open", str(perms.REFUSALS["not_open"]))
    if not getattr(person, "is_active", False):
        return perms.Refusal("not_open", _("This account is not active."))
    return perms.audience_refusal(person, activity)


def _fill_places(activity: Activity) -> list[Signup]:
    """Promote from the waiting list, first come first served, while places are free. Runs
    under the activity's row lock."""
    if activity.status != Activity.Status.PUBLISHED:
        return []
    waiting = Signup.objects.filter(activity=activity, status=Signup.Status.WAITLISTED).order_by(
        "queue_number"
    )
    if activity.quota is None:
        promoted = list(waiting)
    else:
        confirmed = Signup.objects.filter(activity=activity, status=Signup.Status.CONFIRMED).count()
        free = activity.quota - confirmed
        promoted = list(waiting[:free]) if free > 0 else []
    for signup in promoted:
        signup.status = Signup.Status.CONFIRMED
        signup.save(update_fields=["status", "updated_at"])
    return promoted


def _tell_promoted(activity: Activity, promoted, actor) -> None:
    if not promoted:
        return
    text = localized(
        gettext_lazy("A place came free: you are signed up for “%(title)s” on %(when)s."),
        {"title": activity.title, "when": activity.starts_at},
    )
    _tell([signup.person_id for signup in promoted], "activity.promoted", activity, text, actor)
    for signup in promoted:
        log(
            instance=activity,
            action="linli.activity.promote",
            user=actor,
            data={"person": signup.person_id},
        )


def cancel_signup(*, actor, activity: Activity, person=None) -> Signup:
    """Give the place (or the waiting-list number) back; the first waiting gets the place in
    the same transaction and is told."""
    require_signed_in(actor)
    person, assisted = _person(actor, activity, person)
    with transaction.atomic():
        activity = _locked(activity)
        signup = Signup.objects.filter(activity=activity, person=person).first()
        if signup is None:
            raise Conflict(_("There is no sign-up to cancel."), code="not_signed_up")
        if signup.status == Signup.Status.CANCELLED:
            return signup
        _require_status(
            activity,
            (Activity.Status.PUBLISHED,),
            _("Sign-ups can be cancelled only while the activity is open."),
        )
        if Attendance.objects.filter(activity=activity, person=person).exists():
            raise Conflict(_("You have already checked in."), code="checked_in")
        signup.status = Signup.Status.CANCELLED
        signup.save(update_fields=["status", "updated_at"])
        log(
            instance=activity,
            action="linli.activity.signup_cancel",
            user=actor,
            data={"person": person.pk, "assisted": assisted},
        )
        promoted = _fill_places(activity)
        _tell_promoted(activity, promoted, actor)
        _places_changed(activity, actor)
    return signup


# --- check-in, check-out, the paper sheet --------------------------------------------------------


def _confirmed_signup(activity: Activity, person) -> Signup:
    signup = Signup.objects.filter(activity=activity, person=person).first()
    if signup is None or signup.status == Signup.Status.CANCELLED:
        raise NotAllowed(_("You are not signed up for this activity."), code="not_signed_up")
    if signup.status == Signup.Status.WAITLISTED:
        raise NotAllowed(
            _("You are on the waiting list; ask the organiser for a place."), code="waitlisted"
        )
    return signup


def _check_scan(activity: Activity, purpose: str, code, ticket, person) -> None:
    if code is None and ticket is None:
        raise ValidationError({"code": [_("Scan the organiser's code.")]})
    valid = (code is not None and codes.is_valid(activity, purpose, code)) or (
        ticket is not None and codes.ticket_is_valid(activity, purpose, ticket, person.pk)
    )
    if valid:
        return
    other = "out" if purpose == "in" else "in"
    if (code is not None and codes.is_valid(activity, other, code)) or (
        ticket is not None and codes.ticket_is_valid(activity, other, ticket, person.pk)
    ):
        message = (
            _("This is the check-out code; scan the check-in code.")
            if purpose == "in"
            else _("This is the check-in code; scan the check-out code.")
        )
        raise NotAllowed(message, code="wrong_code")
    raise NotAllowed(
        _("This code has expired or belongs to another activity. Scan the code shown now."),
        code="invalid_code",
    )


def _clean_at(activity: Activity, at, field: str):
    if at is None:
        return None
    if not isinstance(at, datetime.datetime):
        raise ValidationError({field: [_("Enter a date and time.")]})
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now() + datetime.timedelta(minutes=1):
        raise ValidationError({field: [_("The time cannot be in the future.")]})
    if not (activity.starts_at - SHEET_MARGIN <= at <= activity.ends_at + SHEET_MARGIN):
        raise ValidationError({field: [_("The time must be on the day of the activity.")]})
    return at


def _require_checkable(activity: Activity) -> None:
    _require_status(
        activity,
        (Activity.Status.PUBLISHED,),
        _("Attendance can be taken only while the activity is open."),
    )


def _attendance_changed(attendance: Attendance, type: str, actor) -> None:
    activity = attendance.activity
    data = {"activity": {"id": activity.pk}, **attendance_data(attendance)}
    arrived = Attendance.objects.filter(activity=activity).count()
    left = Attendance.objects.filter(activity=activity, checked_out_at__isnull=False).count()
    data.update(arrived_count=arrived, left_count=left)
    publish(topic=f"attendance:{activity.pk}", type=type, data=data, actor=actor)
    publish(
        topic=f"activity:{activity.pk}",
        type="activity.attendance",
        data=activity_data(activity, arrived_count=arrived, left_count=left),
        actor=actor,
    )


def _attendance_call(actor, activity: Activity, purpose: str, *, code, ticket, person, at):
    """What check-in and check-out ask first: who is acted for (the actor, or someone the
    organiser checks), that the activity takes attendance, the paper sheet's time (organisers
    only) and, scanning, the code. Returns (activity, person, assisted, at, now)."""
    require_signed_in(actor)
    person, assisted = _person(actor, activity, person)
    if not assisted and at is not None:
        raise NotAllowed(_("Only the organiser can enter a time."), code="forbidden")
    activity = Activity.objects.select_related("community", "team").get(pk=activity.pk)
    _require_checkable(activity)
    at = _clean_at(activity, at, "at")
    if not assisted:
        _check_scan(activity, purpose, code, ticket, person)
    return activity, person, assisted, at, timezone.now()


def check_in(
    *, actor, activity: Activity, code=None, ticket=None, person=None, at=None
) -> tuple[Attendance, bool]:
    """A confirmed person checks in with the code of now (or its ticket); the organiser or
    staff check someone in (`person`), at a time from the paper sheet (`at`) or now.
    Returns (attendance, created); checking in again changes nothing."""
    activity, person, assisted, at, now = _attendance_call(
        actor, activity, "in", code=code, ticket=ticket, person=person, at=at
    )
    if not assisted:
        if now < activity.starts_at - CHECK_IN_OPENS:
            raise Conflict(_("Check-in opens an hour before the start."), code="too_early")
        if now > activity.ends_at:
            raise Conflict(_("The activity is over; ask the organiser."), code="too_late")
    _confirmed_signup(activity, person)
    existing = Attendance.objects.filter(activity=activity, person=person).first()
    if existing is not None:
        return existing, False
    method = Attendance.Method.CODE
    if assisted:
        method = Attendance.Method.SHEET if at is not None else Attendance.Method.STAFF
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                activity=activity,
                person=person,
                checked_in_at=at or now,
                check_in_method=method,
                recorded_by=actor if assisted else None,
            )
            log(
                instance=activity,
                action="linli.activity.check_in",
                user=actor,
                data={
                    "person": person.pk,
                    "method": method,
                    "at": attendance.checked_in_at.isoformat(),
                },
            )
            _attendance_changed(attendance, "attendance.checked_in", actor)
    except IntegrityError:
        return Attendance.objects.get(activity=activity, person=person), False
    return attendance, True


def served_hours(activity: Activity, checked_in_at, checked_out_at) -> Decimal:
    """The hours inside the activity's window: arriving early or leaving late counts nothing."""
    start = max(checked_in_at, activity.starts_at)
    end = min(checked_out_at, activity.ends_at)
    seconds = max((end - start).total_seconds(), 0)
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def check_out(
    *, actor, activity: Activity, code=None, ticket=None, person=None, at=None
) -> tuple[Attendance, bool]:
    """As check_in. For volunteer service, the hours inside the window become a pending
    service record (source attendance); for training, a training record."""
    activity, person, assisted, at, now = _attendance_call(
        actor, activity, "out", code=code, ticket=ticket, person=person, at=at
    )
    if not assisted and now > activity.ends_at + CHECK_OUT_CLOSES:
        raise Conflict(_("Check-out has closed; ask the organiser."), code="too_late")
    attendance = Attendance.objects.filter(activity=activity, person=person).first()
    if attendance is None:
        raise Conflict(_("Check in first."), code="not_checked_in")
    if attendance.checked_out_at is not None:
        return attendance, False
    out_at = at or now
    if out_at < attendance.checked_in_at:
        raise ValidationError({"at": [_("Check-out cannot come before check-in.")]})
    method = Attendance.Method.CODE
    if assisted:
        method = Attendance.Method.SHEET if at is not None else Attendance.Method.STAFF
    with transaction.atomic():
        updated = Attendance.objects.filter(pk=attendance.pk, checked_out_at__isnull=True).update(
            checked_out_at=out_at,
            check_out_method=method,
            recorded_by=actor if assisted else attendance.recorded_by,
        )
        if not updated:
            return Attendance.objects.get(pk=attendance.pk), False
        attendance.refresh_from_db()
        _credit(attendance, actor)
        log(
            instance=activity,
            action="linli.activity.check_out",
            user=actor,
            data={
                "person": person.pk,
                "method": method,
                "at": out_at.isoformat(),
                "hours": hours_text(attendance.hours),
            },
        )
        _attendance_changed(attendance, "attendance.checked_out", actor)
    return attendance, True


def _credit(attendance: Attendance, actor) -> None:
    """Hours for a service activity, a training record for a training; runs once, when the
    attendance gets its check-out."""
    activity = attendance.activity
    hours = served_hours(activity, attendance.checked_in_at, attendance.checked_out_at)
    attendance.hours = hours
    day = timezone.localdate(activity.starts_at)
    if hours > 0 and activity.kind == Activity.Kind.SERVICE:
        attendance.record = ServiceRecord.objects.create(
            volunteer=attendance.person,
            community=activity.community,
            team=activity.team,
            title=activity.title,
            date=day,
            hours=hours,
            source=ServiceRecord.Source.ATTENDANCE,
        )
    elif hours > 0 and activity.kind == Activity.Kind.TRAINING:
        TrainingRecord.objects.create(
            person=attendance.person,
            activity=activity,
            attendance=attendance,
            hours=hours,
            date=day,
        )
    attendance.save(update_fields=["hours", "record"])


def record_sheet(*, actor, activity: Activity, person, checked_in_at, checked_out_at=None):
    """The organiser enters one line of the paper sign-in sheet afterwards."""
    attendance, _created = check_in(actor=actor, activity=activity, person=person, at=checked_in_at)
    if checked_out_at is not None:
        attendance, _created = check_out(
            actor=actor, activity=activity, person=person, at=checked_out_at
        )
    return attendance


def correct_hours(*, actor, attendance: Attendance, hours, reason: str) -> Attendance:
    """Before closing, the organiser corrects one person's hours, saying why; 0 declines them."""
    activity = attendance.activity
    _require_manager(actor, activity)
    errors = {}
    try:
        hours = Decimal(str(hours)).quantize(Decimal("0.01"))
        if not hours.is_finite() or hours < 0 or hours > 24:
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors["hours"] = [_("Hours must be from 0 to 24.")]
    try:
        reason = required_reason(reason, missing=_("Say why the hours are corrected."))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if attendance.person_id == actor.pk:
        raise NotAllowed(_("Nobody corrects their own hours."), code="own_work")
    with transaction.atomic():
        activity = _locked(activity)
        attendance = Attendance.objects.select_related("record", "person").get(pk=attendance.pk)
        record = attendance.record
        if record is None or record.status != ServiceRecord.Status.PENDING:
            raise Conflict(
                _("Only pending hours of a volunteer service can be corrected."),
                code="wrong_state",
            )
        before = record.hours
        if hours == 0:
            ServiceRecord.objects.filter(pk=record.pk).update(
                status=ServiceRecord.Status.DECLINED,
                reviewer=actor,
                reviewed_at=timezone.now(),
                decline_reason=reason,
            )
        else:
            ServiceRecord.objects.filter(pk=record.pk).update(hours=hours, note=reason)
        attendance.hours = hours
        attendance.save(update_fields=["hours"])
        attendance.record.refresh_from_db()
        log(
            instance=record,
            action="linli.hours.correct",
            user=actor,
            data={"from": str(before), "to": str(hours), "reason": reason, "activity": activity.pk},
        )
        _attendance_changed(attendance, "attendance.corrected", actor)
    return attendance


def close_activity(*, actor, activity: Activity) -> tuple[Activity, int]:
    """Finish the activity: every pending attendance hour is approved in one step (except the
    closer's own, which wait for someone else). Returns (activity, records approved)."""
    _require_manager(actor, activity)
    with transaction.atomic():
        activity = _locked(activity)
        _require_status(
            activity, (Activity.Status.PUBLISHED,), _("Only an open activity can be closed.")
        )
        now = timezone.now()
        if activity.starts_at > now:
            raise Conflict(
                _("An activity can be closed once it has started; cancel it instead."),
                code="too_early",
            )
        pending = ServiceRecord.objects.filter(
            attendance__activity=activity, status=ServiceRecord.Status.PENDING
        ).exclude(volunteer=actor)
        records = list(pending.select_related("volunteer", "team"))
        approved = pending.update(
            status=ServiceRecord.Status.APPROVED, reviewer=actor, reviewed_at=now
        )
        activity.status = Activity.Status.FINISHED
        activity.finished_at = now
        activity.finished_by = actor
        activity.save(update_fields=["status", "finished_at", "finished_by"])
        log(
            instance=activity,
            action="linli.activity.close",
            user=actor,
            data={"approved": approved},
        )
        for record in records:
            record.status = ServiceRecord.Status.APPROVED
            text = localized(
                gettext_lazy("%(hours)s hours for “%(title)s” were approved."),
                {"hours": record.hours, "title": activity.title},
            )
            publish(
                topic=f"user:{record.volunteer_id}",
                type="hours.approved",
                data=record_data(record, text, activity={"id": activity.pk}),
                actor=actor,
            )
        publish(
            topic=f"activity:{activity.pk}",
            type="activity.finished",
            data=activity_data(activity, approved_count=approved),
            actor=actor,
        )
        publish(
            topic=f"attendance:{activity.pk}",
            type="activity.finished",
            data=activity_data(activity, approved_count=approved),
            actor=actor,
        )
    return activity, approved


# --- reminders ----------------------------------------------------------------------------------


def send_reminders(*, now=None) -> int:
    """Remind everyone with a place in an activity that starts within a day, once each: a
    notification, and an SMS to a verified phone (queued). Run every few minutes (cron, see
    site/deploy); a sign-up marked reminded is never reminded twice, whoever runs at once."""
    from .tasks import send_reminder_sms

    now = now or timezone.now()
    due = Signup.objects.filter(
        status=Signup.Status.CONFIRMED,
        reminded_at__isnull=True,
        activity__status=Activity.Status.PUBLISHED,
        activity__starts_at__gt=now,
        activity__starts_at__lte=now + REMINDER_AHEAD,
    ).select_related("activity", "person")
    sent = 0
    for signup in due:
        with transaction.atomic():
            claimed = Signup.objects.filter(pk=signup.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            activity = signup.activity
            text = localized(
                gettext_lazy("Reminder: “%(title)s” starts at %(when)s, at %(place)s."),
                {"title": activity.title, "when": activity.starts_at, "place": activity.place},
            )
            _tell([signup.person_id], "activity.reminder", activity, text, None)
            person = signup.person
            if person.phone and person.phone_verified and person.is_active:
                transaction.on_commit(
                    lambda person_id=person.pk, activity_id=activity.pk: send_reminder_sms.enqueue(
                        person_id=person_id, activity_id=activity_id
                    )
                )
            sent += 1
    return sent
