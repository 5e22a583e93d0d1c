"""Background work of activities (django-tasks): the reminder SMS the day before."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django_tasks import task

from accounts.sms import send_sms


@task()
def send_reminder_sms(*, person_id: int, activity_id: int) -> bool:
    """One SMS to the person's verified phone, if they still have a place. Returns whether
    one was sent."""
    from .models import Activity, Signup

    person = get_user_model().objects.filter(pk=person_id, is_active=True).first()
    activity = Activity.objects.filter(pk=activity_id, status=Activity.Status.PUBLISHED).first()
    if person is None or activity is None or not (person.phone and person.phone_verified):
        return False
    if not Signup.objects.filter(
        activity=activity, person=person, status=Signup.Status.CONFIRMED
    ).exists():
        return False
    with translation.override(settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(activity.starts_at), "DATETIME_FORMAT")
        message = gettext("[Linli] Reminder: “%(title)s” starts at %(when)s, at %(place)s.") % {
            "title": activity.title,
            "when": when,
            "place": activity.place,
        }
    send_sms(phone=person.phone, message=message)
    return True
