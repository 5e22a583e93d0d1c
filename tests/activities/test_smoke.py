import datetime
from decimal import Decimal

from activities import codes, services
from activities.models import Attendance, Signup
from teams.models import ServiceRecord

from .conftest import make_activity, residents, started


def test_sign_up_waitlist_promote_check_in_out_close(world):
    activity = make_activity(world, quota=2)
    a, b, c = residents(world, 3)
    assert services.sign_up(actor=a, activity=activity)[0].status == "confirmed"
    assert services.sign_up(actor=b, activity=activity)[0].status == "confirmed"
    signup, created = services.sign_up(actor=c, activity=activity)
    assert (signup.status, services.position(signup), created) == ("waitlisted", 1, True)
    assert services.sign_up(actor=c, activity=activity)[1] is False
    services.cancel_signup(actor=b, activity=activity)
    assert Signup.objects.get(pk=signup.pk).status == "confirmed"
    started(activity)
    code, _until = codes.current(activity, "in")
    attendance, created = services.check_in(actor=a, activity=activity, code=code)
    assert created and attendance.check_in_method == "code"
    Attendance.objects.filter(pk=attendance.pk).update(
        checked_in_at=activity.starts_at - datetime.timedelta(minutes=10)
    )
    out, _until = codes.current(activity, "out")
    attendance, created = services.check_out(actor=a, activity=activity, code=out)
    assert attendance.record.status == "pending" and attendance.hours > 0
    activity, approved = services.close_activity(actor=world.staff, activity=activity)
    assert approved == 1
    record = ServiceRecord.objects.get(volunteer=a)
    assert record.status == "approved" and record.source == "attendance"
    assert record.hours == attendance.hours == Decimal("0.50")
