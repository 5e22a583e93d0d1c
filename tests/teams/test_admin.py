"""The Volunteers admin: pages render, decisions go through the services, scope by community."""

import datetime

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from communities.services import sync_staff_access
from teams.models import Need, ServiceRecord, Task

from .conftest import client_for, make_task


@pytest.fixture
def admin_world(world):
    sync_staff_access(world.staff)
    sync_staff_access(world.other_staff)
    world.staff.refresh_from_db()
    world.other_staff.refresh_from_db()
    world.task = make_task(world.yuling, team=world.team, status="done")
    world.record = ServiceRecord.objects.create(
        volunteer=world.volunteer,
        task=world.task,
        team=world.team,
        date=datetime.date.today(),
        hours=3,
        source="self",
    )
    world.need = Need.objects.create(
        community=world.yuling, requester=world.resident, category="repairs", description="门锁坏了"
    )
    return world


PAGES = [
    ("teams_task:index", None),
    ("teams_task:add", None),
    ("teams_task:edit", "task"),
    ("teams_task:status", "task"),
    ("teams_task:history", "task"),
    ("teams_need:index", None),
    ("teams_need:edit", "need"),
    ("teams_hours:index", None),
    ("teams_hours:edit", "record"),
    ("teams_team:index", None),
    ("teams_team:add", None),
    ("teams_team:edit", "team"),
    ("teams_skill:index", None),
]


@pytest.mark.parametrize(("name", "obj"), PAGES)
def test_pages_render_for_superuser(admin_world, name, obj):
    w = admin_world
    args = [getattr(w, obj).pk] if obj else []
    response = client_for(w.superuser).get(reverse(name, args=args))
    assert response.status_code == 200, name


@pytest.mark.parametrize(("name", "obj"), [p for p in PAGES if not p[0].startswith("teams_skill")])
def test_staff_scope(admin_world, name, obj):
    w = admin_world
    args = [getattr(w, obj).pk] if obj else []
    assert client_for(w.staff).get(reverse(name, args=args)).status_code == 200
    other = client_for(w.other_staff).get(reverse(name, args=args))
    if obj:
        assert other.status_code in (403, 404)
    else:
        assert other.status_code == 200
        assert w.task.title not in other.content.decode()
    assert client_for(w.resident).get(reverse(name, args=args)).status_code in (302, 403)


def test_no_delete_urls(admin_world):
    from django.urls import NoReverseMatch

    for name in ("teams_task", "teams_hours", "teams_need", "teams_team"):
        with pytest.raises(NoReverseMatch):
            reverse(f"{name}:delete", args=[1])


def test_create_verify_and_review_through_services(admin_world):
    w = admin_world
    client = client_for(w.staff)
    response = client.post(
        reverse("teams_task:add"),
        {
            "community": w.yuling.pk,
            "title": "清理花坛垃圾",
            "priority": "normal",
            "required_skills": [w.team.skills.get(slug="greening").pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Task.objects.get(title="清理花坛垃圾")
    assert created.created_by == w.staff
    assert ModelLogEntry.objects.filter(action="linli.task.create", object_id=str(created.pk))

    response = client.post(reverse("teams_task:status", args=[w.task.pk]), {"action": "verify"})
    assert response.status_code == 302
    w.task.refresh_from_db()
    assert w.task.status == "verified"

    response = client.post(
        reverse("teams_hours:edit", args=[w.record.pk]), {"decision": "decline", "reason": ""}
    )
    assert response.status_code == 200  # the reason is required: the form comes back
    response = client.post(reverse("teams_hours:edit", args=[w.record.pk]), {"decision": "approve"})
    assert response.status_code == 302
    w.record.refresh_from_db()
    assert (w.record.status, w.record.reviewer) == ("approved", w.staff)

    response = client.post(
        reverse("teams_need:edit", args=[w.need.pk]), {"decision": "accept", "priority": "urgent"}
    )
    assert response.status_code == 302
    w.need.refresh_from_db()
    assert w.need.status == "accepted"
    assert w.need.task.priority == "urgent"


def test_status_page_offers_only_allowed_actions(admin_world):
    w = admin_world
    open_task = make_task(w.yuling)
    response = client_for(w.staff).post(
        reverse("teams_task:status", args=[open_task.pk]), {"action": "verify"}
    )
    assert response.status_code == 200  # not a valid choice for an open task
    open_task.refresh_from_db()
    assert open_task.status == "open"


def test_staff_edit_keeps_communities_they_do_not_run(admin_world):
    w = admin_world
    w.team.communities.add(w.other)
    members = list(w.team.memberships.order_by("pk"))
    data = {
        "name": w.team.name,
        "description": "新的介绍",
        "skills": list(w.team.skills.values_list("pk", flat=True)),
        "communities": [w.yuling.pk],
        "active": "on",
        "memberships-TOTAL_FORMS": str(len(members)),
        "memberships-INITIAL_FORMS": str(len(members)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(members):
        data.update(
            {
                f"memberships-{i}-id": m.pk,
                f"memberships-{i}-user": m.user_id,
                f"memberships-{i}-role": m.role,
                f"memberships-{i}-status": m.status,
                f"memberships-{i}-ORDER": i,
                f"memberships-{i}-DELETE": "",
            }
        )
    response = client_for(w.staff).post(reverse("teams_team:edit", args=[w.team.pk]), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    w.team.refresh_from_db()
    assert w.team.description == "新的介绍"
    assert set(w.team.communities.all()) == {w.yuling, w.other}
    assert list(w.team.memberships.order_by("pk")) == members


# --- nobody approves their own membership, here neither (issue #22) ------------------------------


def _team_form(w, rows):
    data = {
        "name": w.team.name,
        "description": w.team.description,
        "skills": list(w.team.skills.values_list("pk", flat=True)),
        "communities": [w.yuling.pk],
        "active": "on",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in {"id": "", "ORDER": i, "DELETE": "", **row}.items():
            data[f"memberships-{i}-{key}"] = value
    return data


def _rows(w):
    return [
        {"id": m.pk, "user": m.user_id, "role": m.role, "status": m.status}
        for m in w.team.memberships.order_by("pk")
    ]


def test_staff_cannot_make_themselves_members_in_the_team_admin(admin_world):
    w = admin_world
    edit = reverse("teams_team:edit", args=[w.team.pk])
    joined = _rows(w) + [{"user": w.staff.pk, "role": "leader", "status": "active"}]
    response = client_for(w.staff).post(edit, _team_form(w, joined))
    assert response.status_code == 200  # the form comes back with the error
    assert not w.team.memberships.filter(user=w.staff).exists()
    # Their pending request is not approved here either; someone else's is.
    from teams.models import TeamMembership

    own = TeamMembership.objects.create(team=w.team, user=w.staff, status="pending")
    rows = [dict(r, status="active") if r["id"] == own.pk else r for r in _rows(w)]
    assert client_for(w.staff).post(edit, _team_form(w, rows)).status_code == 200
    own.refresh_from_db()
    assert own.status == "pending"
    w.superuser.is_staff = True
    w.superuser.save()
    response = client_for(w.superuser).post(edit, _team_form(w, rows))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.status == "active"
