"""The demo loads on top of the communities demo, twice without change."""

import io

import pytest

from communities import demo as communities_demo
from teams import demo
from teams.models import Need, ServiceRecord, Task, Team, TeamMembership
from teams.permissions import can_see_task_details


@pytest.mark.django_db
def test_demo_is_complete_and_idempotent():
    out = io.StringIO()
    communities_demo.load(stdout=out)
    demo.load(stdout=out)
    counts = [
        Task.objects.count(),
        Team.objects.count(),
        TeamMembership.objects.count(),
        ServiceRecord.objects.count(),
        Need.objects.count(),
    ]
    demo.load(stdout=out)
    assert counts == [
        Task.objects.count(),
        Team.objects.count(),
        TeamMembership.objects.count(),
        ServiceRecord.objects.count(),
        Need.objects.count(),
    ]
    yuling_tasks = Task.objects.filter(community__name="玉岭社区")
    assert set(yuling_tasks.values_list("status", flat=True)) >= {
        "open",
        "claimed",
        "in_progress",
        "done",
        "verified",
        "cancelled",
    }
    assert set(ServiceRecord.objects.values_list("status", flat=True)) == {
        "pending",
        "approved",
        "declined",
    }
    env = Team.objects.get(name="玉岭社区环境志愿服务队")
    mutual = Team.objects.get(name="玉岭社区邻里互助队")
    assert sorted(env.skills.values_list("slug", flat=True)) == ["greening", "sanitation"]
    assert sorted(mutual.skills.values_list("slug", flat=True)) == ["elderly-care", "sanitation"]
    assert env.memberships.get(user__email="leader1@example.com").role == "leader"
    assert env.memberships.get(user__email="volunteer1@example.com").status == "active"
    assert mutual.memberships.get(user__email="leader2@example.com").role == "leader"
    sensitive = yuling_tasks.get(sensitive=True)
    assert sensitive.team == mutual
    leader2 = mutual.memberships.get(role="leader").user
    leader1 = env.memberships.get(role="leader").user
    assert can_see_task_details(leader2, sensitive)
    assert not can_see_task_details(leader1, sensitive)
    assert Need.objects.filter(status="open").count() == 1
    for name in ("消防志愿队", "蓝丝带志愿者", "四叶草志愿服务队", "美丽天使花卉志愿服务队"):
        assert Team.objects.get(name=name).communities.exists()
