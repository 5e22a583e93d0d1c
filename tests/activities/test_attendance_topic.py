"""The list of who arrived names people: its live topic `attendance:<id>` is for those who
manage the activity; the public `activity:<id>` carries counts, never a name (SECURITY.md, 11)."""

import pytest

from activities import services
from live import topics
from live.models import Event

from .conftest import ROLES, make_activity, started

pytestmark = pytest.mark.django_db

MANAGERS = {"leader", "staff", "superuser"}


@pytest.mark.parametrize("role", ROLES)
def test_only_organisers_and_staff_follow_the_attendance_topic(world, role):
    activity = make_activity(world)  # organised by staff for world.team (leader: world.leader)
    user = getattr(world, role)
    assert topics.can_follow(user, f"attendance:{activity.pk}") == (role in MANAGERS)
    assert topics.can_follow(user, f"activity:{activity.pk}")


def test_the_public_activity_topic_names_nobody(world):
    activity = make_activity(world, audience="team")
    services.sign_up(actor=world.volunteer, activity=activity)
    started(activity)
    services.check_in(actor=world.leader, activity=activity, person=world.volunteer)
    services.check_out(actor=world.leader, activity=activity, person=world.volunteer)
    private = Event.objects.filter(topic=f"attendance:{activity.pk}")
    assert private.filter(type="attendance.checked_in").exists()
    assert any(e.data.get("person", {}).get("id") == world.volunteer.pk for e in private)
    public = list(Event.objects.filter(topic=f"activity:{activity.pk}"))
    assert {e.type for e in public} >= {"activity.places", "activity.attendance"}
    name = world.volunteer.get_display_name()
    for event in public:
        assert "person" not in event.data and "recorded_by" not in event.data
        assert name not in str(event.data)
