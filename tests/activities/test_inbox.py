"""An activity that is over but not closed waits in the staff inbox (its attendance hours are
approved only by closing it); closing takes it out."""

import datetime

from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity
from tests.communities.test_inbox import get_inbox

from .conftest import make_activity


def over(activity):
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=3),
        ends_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    activity.refresh_from_db()
    return activity


def items(user):
    return get_inbox(user, "en", kind="activity_to_close").json()["items"]


def test_over_activities_wait_until_closed(world):
    coming = make_activity(world, title="下周的邻里节")
    fair = over(make_activity(world, title="公益集市"))
    (item,) = items(world.staff)
    assert (item["id"], item["title"]) == (fair.pk, "公益集市")
    assert item["url"] == reverse("activities:manage", args=[fair.pk])
    assert item["reason"] == "Organised by 环境志愿服务队."
    assert items(world.street_staff) and not items(world.other_staff)
    assert coming.pk not in {i["id"] for i in items(world.staff)}
    services.close_activity(actor=world.leader, activity=fair)
    assert items(world.staff) == []
