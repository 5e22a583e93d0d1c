"""Field names, errors (400/404, never 500), pagination, query counts, photos, alerts, /me."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from live.models import Event
from teams import services
from teams.models import TeamMembership

from .conftest import client_for, make_task, make_team

TASK_FIELDS = {
    "id",
    "title",
    "description",
    "status",
    "priority",
    "sensitive",
    "community",
    "team",
    "required_skills",
    "url",
}
TEAM_FIELDS = {"id", "name", "skills", "communities", "members_count", "url"}


def _png(size=(8, 8), fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def test_task_fields(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    services.post_update(actor=world.volunteer, task=task, text="到了")
    client = client_for(None)
    item = client.get("/api/v1/tasks").json()["items"][0]
    assert set(item) >= TASK_FIELDS
    assert item["community"] == {"id": world.yuling.pk, "name": "玉岭社区"}
    assert item["team"] == {"id": world.team.pk, "name": world.team.name}
    assert item["required_skills"] == ["sanitation"]
    assert item["url"] == f"/teams/tasks/{task.pk}/"
    detail = client.get(f"/api/v1/tasks/{task.pk}").json()
    assert set(detail) >= TASK_FIELDS | {"updates"}
    (update,) = detail["updates"]
    assert update["text"] == "到了"
    assert update["author"] == {"id": world.volunteer.pk, "display_name": "志愿者"}
    open_task = make_task(world.yuling)
    assert client.get(f"/api/v1/tasks/{open_task.pk}").json()["team"] is None


def test_task_filters_and_pagination(world):
    for _ in range(3):
        make_task(world.yuling)
    make_task(world.yuling, team=world.team, status="claimed")
    make_task(world.other)
    client = client_for(None)
    assert client.get("/api/v1/tasks").json()["count"] == 5
    assert client.get(f"/api/v1/tasks?community={world.yuling.pk}").json()["count"] == 4
    assert client.get(f"/api/v1/tasks?community={world.street.pk}").json()["count"] == 5
    assert client.get("/api/v1/tasks?community=99999").json() == {"items": [], "count": 0}
    assert client.get(f"/api/v1/tasks?team={world.team.pk}").json()["count"] == 1
    assert client.get("/api/v1/tasks?status=open").json()["count"] == 4
    page = client.get("/api/v1/tasks?limit=2&offset=1").json()
    assert (page["count"], len(page["items"])) == (5, 2)


@pytest.mark.parametrize(
    "query",
    ["status=bogus", "limit=0", "limit=101", "offset=-1", "community=abc", "team=1.5"],
)
def test_task_list_bad_filters_are_400(world, query):
    response = client_for(None).get(f"/api/v1/tasks?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_huge_filter_ids_are_empty_not_500(world):
    for query in ("community=99999999999999999999999", "team=99999999999999999999999"):
        response = client_for(None).get(f"/api/v1/tasks?{query}")
        assert response.json() == {"items": [], "count": 0}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tasks/987654",
        "/api/v1/tasks/0",
        "/api/v1/tasks/-3",
        "/api/v1/tasks/99999999999999999999999",
        "/api/v1/teams/987654",
        "/api/v1/teams/9223372036854775808",
    ],
)
def test_unknown_ids_are_json_404(world, path):
    response = client_for(None).get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/tasks/987654/claim", {"team": 1}),
        ("/api/v1/tasks/987654/verify", {}),
        ("/api/v1/tasks/987654/updates", {"text": "x"}),
        ("/api/v1/tasks/987654/hours", {"hours": 1, "date": "2024-01-01"}),
        ("/api/v1/hours/987654/approve", {}),
        ("/api/v1/teams/987654/join", {}),
        ("/api/v1/team-memberships/987654/approve", {}),
        ("/api/v1/communities/987654/tasks", {"title": "x"}),
    ],
)
def test_unknown_ids_on_post_are_404(world, path, body):
    response = client_for(world.staff).post(path, body, content_type="application/json")
    assert response.status_code == 404, response.content


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "required_skills": ["flying"]}, "required_skills"),
        ({"title": "x", "priority": "whenever"}, "priority"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "x", "team": 987654}, "team"),
        ({"title": "x", "due_at": "tomorrow"}, "due_at"),
        ({"title": "x", "required_skills": "sanitation"}, "required_skills"),
    ],
)
def test_create_task_field_errors(world, body, field):
    response = client_for(world.staff).post(
        f"/api/v1/communities/{world.yuling.pk}/tasks", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_garbage_bodies_are_400(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    client = client_for(world.leader)
    for path in (f"/api/v1/tasks/{task.pk}/updates", f"/api/v1/tasks/{task.pk}/claim"):
        for raw in (b"{not json", b"[1,2]", b"\xff\xfe", b'"text"'):
            response = client.post(path, raw, content_type="application/json")
            assert response.status_code == 400, (path, raw, response.content)
    response = client.post(
        f"/api/v1/tasks/{task.pk}/updates", {"status": "verified"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["errors"]
    response = client.post(f"/api/v1/tasks/{task.pk}/updates", {}, content_type="application/json")
    assert response.status_code == 400


def test_create_task_and_emergency_alert(world):
    city = make_team("水上搜救志愿队", community=world.district, skill_slugs=("sanitation",))
    unrelated = make_team("交通志愿队", community=world.district, skill_slugs=("traffic",))
    response = client_for(world.staff).post(
        f"/api/v1/communities/{world.yuling.pk}/tasks",
        {
            "title": "暴雨后地下车库进水",
            "priority": "emergency",
            "required_skills": ["sanitation"],
            "due_at": "2030-01-01T08:00:00+08:00",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= TASK_FIELDS
    assert (body["priority"], body["status"], body["team"]) == ("emergency", "open", None)
    alerted = set(Event.objects.filter(type="task.alert").values_list("topic", flat=True))
    assert alerted == {
        f"team:{world.team.pk}",
        f"team:{world.other_team.pk}",
        f"team:{city.pk}",
    }
    assert f"team:{unrelated.pk}" not in alerted
    event = Event.objects.get(topic=f"community:{world.yuling.pk}", type="task.created")
    assert event.data["title"] == "暴雨后地下车库进水" and event.data["team"] is None


def test_dispatch_notifies_leader(world):
    response = client_for(world.staff).post(
        f"/api/v1/communities/{world.yuling.pk}/tasks",
        {"title": "陪老人复诊", "team": world.other_team.pk},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["dispatched_team"]["id"] == world.other_team.pk
    assert Event.objects.filter(
        topic=f"user:{world.other_leader.pk}", type="task.dispatched"
    ).exists()


def test_posting_an_update_replies_with_the_task_and_that_update(
    world, django_assert_max_num_queries
):
    task = make_task(world.yuling, team=world.team, status="claimed")
    for n in range(3):
        services.post_update(actor=world.volunteer, task=task, text=f"第{n}次")
    client = client_for(world.volunteer)
    path = f"/api/v1/tasks/{task.pk}/updates"
    client.post(path, {"text": "热身"}, content_type="application/json")
    with django_assert_max_num_queries(20) as few:
        response = client.post(path, {"text": "开始清理"}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= TASK_FIELDS and "updates" not in body
    assert body["status"] == "claimed"
    assert body["update"]["text"] == "开始清理"
    assert body["update"]["author"] == {"id": world.volunteer.pk, "display_name": "志愿者"}
    for n in range(20):
        services.post_update(actor=world.volunteer, task=task, text=f"再{n}次")
    # The reply does not grow with the task's history.
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.post(path, {"text": "又一次"}, content_type="application/json")
    assert response.json()["update"]["text"] == "又一次"
    response = client.post(
        path, {"text": "完成", "status": "done"}, content_type="application/json"
    )
    assert response.json()["status"] == "done"
    assert response.json()["update"]["status_change"] == "done"


def test_photo_updates(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = make_task(world.yuling, team=world.team, status="claimed")
    client = client_for(world.volunteer)
    path = f"/api/v1/tasks/{task.pk}/updates"
    good = SimpleUploadedFile("p.webp", _png(fmt="WEBP"), content_type="image/webp")
    response = client.post(path, {"text": "清理前", "photo": good, "status": "in_progress"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["update"]["photo"].startswith("/photos/task-updates/")
    fake = SimpleUploadedFile("p.png", b"not an image at all", content_type="image/png")
    response = client.post(path, {"text": "x", "photo": fake})
    assert response.status_code == 400
    assert "photo" in response.json()["errors"]
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    response = client.post(path, {"photo": SimpleUploadedFile("p.gif", gif.getvalue())})
    assert response.status_code == 400
    big = SimpleUploadedFile(
        "big.png", _png() + b"\0" * (5 * 1024 * 1024), content_type="image/png"
    )
    response = client.post(path, {"photo": big})
    assert response.status_code == 400
    assert "5 MB" in response.json()["errors"]["photo"][0] or response.json()["errors"]["photo"]


def test_teams_fields_and_counts(world):
    make_task(world.yuling, team=world.team, status="in_progress")
    make_task(world.yuling, team=world.team, status="verified")
    TeamMembership.objects.create(team=world.team, user=world.resident, status="pending")
    client = client_for(None)
    data = client.get("/api/v1/teams").json()
    assert data["count"] == 2
    team = next(t for t in data["items"] if t["id"] == world.team.pk)
    assert set(team) >= TEAM_FIELDS
    assert team["skills"] == ["greening", "sanitation"]
    assert team["communities"] == [{"id": world.yuling.pk, "name": "玉岭社区"}]
    assert (team["members_count"], team["open_tasks_count"]) == (2, 1)
    assert team["url"] == f"/teams/{world.team.pk}/"
    detail = client.get(f"/api/v1/teams/{world.team.pk}").json()
    assert detail["leaders"] == [{"id": world.leader.pk, "display_name": "队长甲"}]
    assert [t["status"] for t in detail["open_tasks"]] == ["in_progress"]
    assert detail["star_level"] == 0
    assert client.get(f"/api/v1/teams?community={world.other.pk}").json()["count"] == 0
    assert client.get("/api/v1/teams?skill=elderly-care").json()["count"] == 1


def test_me(world):
    assert client_for(None).get("/api/v1/me").status_code == 401
    data = client_for(world.leader).get("/api/v1/me").json()
    assert set(data) >= {"id", "email", "display_name", "memberships", "teams"}
    assert data["memberships"] == [
        {
            "community": {"id": world.yuling.pk, "name": "玉岭社区"},
            "role": "resident",
            "status": "verified",
        }
    ]
    assert data["teams"] == [
        {"id": world.team.pk, "name": world.team.name, "role": "leader", "status": "active"}
    ]


def _many_tasks(world, n):
    for i in range(n):
        make_task(
            world.yuling,
            team=world.team if i % 2 else None,
            status="claimed" if i % 2 else "open",
            sensitive=i % 3 == 0,
        )


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "staff"])
def test_task_list_queries_are_constant(world, role, django_assert_max_num_queries):
    client = client_for(getattr(world, role))
    _many_tasks(world, 3)
    client.get("/api/v1/tasks")
    with django_assert_max_num_queries(9) as small:
        client.get("/api/v1/tasks?limit=100")
    _many_tasks(world, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/tasks?limit=100")
    assert response.json()["count"] == 33


def test_team_list_queries_are_constant(world, django_assert_max_num_queries):
    client = client_for(None)
    with django_assert_max_num_queries(5) as small:
        client.get("/api/v1/teams")
    for i in range(15):
        make_team(f"队{i}", community=world.yuling, leader=world.resident if i == 0 else None)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/api/v1/teams?limit=100").json()["count"] == 17


def test_openapi_lists_the_routes(world):
    paths = client_for(None).get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/me",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/claim",
        "/api/v1/tasks/{task_id}/updates",
        "/api/v1/tasks/{task_id}/verify",
        "/api/v1/tasks/{task_id}/hours",
        "/api/v1/teams",
        "/api/v1/teams/{team_id}",
        "/api/v1/communities/{community_id}/needs",
        "/api/v1/communities/{community_id}/tasks",
    ):
        assert path in paths, path
