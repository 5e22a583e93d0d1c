"""The team and task pages: who sees what, forms go through the services, sensitive tasks are
redacted, and the list pages cost a fixed number of queries however many rows they show.

Uses the `world` fixture of tests/teams/conftest.py: 玉岭社区 with 环境志愿服务队 (leader,
volunteer; sanitation + greening) and 邻里互助队 (other_leader; sanitation + elderly-care).
"""

import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from teams import services
from teams.models import Need, ServiceRecord, Task, TaskUpdate, Team, TeamMembership

from .conftest import client_for, make_task, make_team, make_user, member

pytestmark = pytest.mark.django_db

SECRET_TITLE = "独居老人王奶奶家中陪护"
SECRET_TEXT = "王奶奶住在7栋2单元"


def url(name, *args):
    return reverse(f"teams:{name}", args=args)


def html_of(response) -> str:
    return response.content.decode()


def queries_for(client, path) -> int:
    """How many queries one GET costs (the first measure; later ones must not exceed it)."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def png_file(name="work.png"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    # Assert on the English source strings; keep uploads out of the project.
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def task(world):
    return services.create_task(
        actor=world.staff,
        community=world.yuling,
        title="清理3栋楼道杂物",
        description="楼道纸箱堆积，存在消防隐患。",
        required_skills=["sanitation"],
    )


@pytest.fixture
def secret(world):
    return services.create_task(
        actor=world.staff,
        community=world.yuling,
        title=SECRET_TITLE,
        description=SECRET_TEXT,
        required_skills=["sanitation"],
        sensitive=True,
        team=world.team,  # staff dispatch it: a sensitive task never enters the pool
    )


def claimed(world, task, team=None):
    team = team or world.team
    leader = world.leader if team == world.team else world.other_leader
    return services.claim_task(actor=leader, task=task, team=team)


# --- the team list and the team page -----------------------------------------------------------


def test_team_list_shows_teams_to_anyone(world):
    response = client_for(None).get(url("team_list"))
    assert response.status_code == 200
    html = html_of(response)
    assert "环境志愿服务队" in html and "邻里互助队" in html
    assert "玉岭社区" in html


def test_nav_links_to_teams_and_my_tasks(world):
    assert url("team_list") in html_of(client_for(None).get("/"))
    assert url("my_tasks") not in html_of(client_for(None).get(url("team_list")))
    assert url("my_tasks") in html_of(client_for(world.resident).get(url("team_list")))


def test_team_list_queries_do_not_grow(world, django_assert_max_num_queries):
    client = client_for(world.resident)
    baseline = queries_for(client, url("team_list"))
    assert baseline <= 8
    for i in range(15):
        team = make_team(
            f"测试队{i}", community=world.yuling, leader=make_user(f"l{i}@example.com")
        )
        make_task(world.yuling, team=team, status="claimed")
    with django_assert_max_num_queries(baseline):
        response = client.get(url("team_list"))
    assert "测试队14" in html_of(response)


def test_team_page_lists_members_skills_communities_and_tasks(world, task):
    claimed(world, task)
    html = html_of(client_for(None).get(url("team_detail", world.team.pk)))
    for text in ("队长甲", "志愿者", "Sanitation", "Greening", "玉岭社区", "清理3栋楼道杂物"):
        assert text in html
    assert "Sign in to join" in html


def test_team_page_for_a_verified_resident_offers_to_join(world):
    html = html_of(client_for(world.resident).get(url("team_detail", world.team.pk)))
    assert url("team_join", world.team.pk) in html
    # Not for a resident still waiting for verification, nor for a member.
    html = html_of(client_for(world.pending).get(url("team_detail", world.team.pk)))
    assert url("team_join", world.team.pk) not in html
    html = html_of(client_for(world.volunteer).get(url("team_detail", world.team.pk)))
    assert url("team_join", world.team.pk) not in html
    assert "You are a member of this team." in html


def test_join_request_and_leader_approval(world):
    response = client_for(world.resident).post(
        url("team_join", world.team.pk), {"note": "周末有空"}
    )
    assert response.status_code == 302
    request = TeamMembership.objects.get(team=world.team, user=world.resident)
    assert request.status == "pending" and request.note == "周末有空"

    # Asking twice is refused by the service and shown as a message.
    response = client_for(world.resident).post(url("team_join", world.team.pk), {"note": ""})
    assert "You already asked to join or are a member." in messages_of(response)

    # The leader sees it on the team page and approves it.
    leader = client_for(world.leader)
    html = html_of(leader.get(url("team_detail", world.team.pk)))
    assert "Requests to join" in html and "居民甲" in html
    decide = url("membership_decide", world.team.pk, request.pk)
    assert decide in html
    response = leader.post(decide, {"decision": "approve"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "active"


def test_join_requests_are_decided_only_by_leaders_and_staff(world):
    request = services.request_team_membership(actor=world.resident, team=world.team)
    decide = url("membership_decide", world.team.pk, request.pk)
    assert "Requests to join" not in html_of(
        client_for(world.volunteer).get(url("team_detail", world.team.pk))
    )
    assert client_for(world.volunteer).post(decide, {"decision": "approve"}).status_code == 403
    assert client_for(world.other_leader).post(decide, {"decision": "approve"}).status_code == 403
    response = client_for(None).post(decide, {"decision": "approve"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    request.refresh_from_db()
    assert request.status == "pending"
    # Staff of a community the team serves may decline.
    client_for(world.staff).post(decide, {"decision": "decline"})
    request.refresh_from_db()
    assert request.status == "declined"


def test_anonymous_join_goes_to_login(world):
    response = client_for(None).post(url("team_join", world.team.pk), {"note": ""})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not TeamMembership.objects.filter(team=world.team, user__isnull=True).exists()


def test_unknown_team_and_task_are_404(world):
    assert client_for(None).get(url("team_detail", 999999)).status_code == 404
    assert client_for(None).get(url("task_detail", 999999)).status_code == 404
    assert client_for(world.leader).post(url("task_claim", 999999), {}).status_code == 404


# --- the board ---------------------------------------------------------------------------------


def test_board_is_for_members_and_staff(world, task):
    board = url("team_board", world.team.pk)
    response = client_for(None).get(board)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(world.resident).get(board).status_code == 403
    assert client_for(world.other_leader).get(board).status_code == 403
    for user in (world.volunteer, world.leader, world.staff, world.superuser):
        assert client_for(user).get(board).status_code == 200


def test_board_lists_held_and_claimable_tasks_live(world, task):
    held = make_task(world.yuling, team=world.team, status="in_progress", title="修剪绿化带")
    elderly = make_task(world.yuling, skill_slugs=("elderly-care",), title="陪老人就医")
    dispatched_elsewhere = make_task(world.yuling, title="别队的任务")
    dispatched_elsewhere.dispatched_team = world.other_team
    dispatched_elsewhere.save()
    elsewhere = make_task(world.other, title="白云社区的任务")
    response = client_for(world.volunteer).get(url("team_board", world.team.pk))
    html = html_of(response)
    assert f'data-live-topic="team:{world.team.pk}"' in html
    assert "js/live.js" in html
    held_part, open_part = html.split('id="board-open"')
    assert f'data-task-id="{held.pk}"' in held_part
    assert f'data-task-id="{task.pk}"' in open_part
    for other in (elderly, dispatched_elsewhere, elsewhere):
        assert f'data-task-id="{other.pk}"' not in html


def test_board_shows_a_sensitive_task_only_to_the_team_it_was_given_to(world, secret):
    # Dispatched to the team: its members read it before they take it on; staff too.
    for user in (world.volunteer, world.staff):
        html = html_of(client_for(user).get(url("team_board", world.team.pk)))
        assert SECRET_TITLE in html and f'data-task-id="{secret.pk}"' in html
    # Another team serving the community never sees it in its open list.
    other = make_task(world.yuling, sensitive=True, title="未指派的保密任务")
    for team, user in ((world.team, world.volunteer), (world.other_team, world.other_leader)):
        html = html_of(client_for(user).get(url("team_board", team.pk)))
        assert f'data-task-id="{other.pk}"' not in html
        assert "未指派的保密任务" not in html


def test_board_queries_do_not_grow(world, django_assert_max_num_queries):
    client = client_for(world.volunteer)
    make_task(world.yuling, team=world.team, status="claimed")
    make_task(world.yuling)
    make_task(world.yuling, sensitive=True, dispatched_team=world.team)
    baseline = queries_for(client, url("team_board", world.team.pk))
    assert baseline <= 20
    for i in range(20):
        make_task(world.yuling, team=world.team, status="in_progress", title=f"进行中{i}")
        make_task(world.yuling, title=f"待认领{i}", sensitive=i % 2 == 0)
    with django_assert_max_num_queries(baseline):
        response = client.get(url("team_board", world.team.pk))
    assert "进行中19" in html_of(response) and "待认领19" in html_of(response)


# --- the task page -----------------------------------------------------------------------------


def test_task_page_for_anyone_is_live(world, task):
    response = client_for(None).get(url("task_detail", task.pk))
    assert response.status_code == 200
    html = html_of(response)
    assert "清理3栋楼道杂物" in html and "楼道纸箱堆积" in html
    assert f'data-live-topic="task:{task.pk}"' in html
    assert 'data-live-field="status"' in html
    assert "js/live.js" in html
    assert url("task_claim", task.pk) not in html
    assert "Sign in to take part" in html


def test_task_page_shows_each_form_only_when_allowed(world, task):
    def forms_for(user):
        html = html_of(client_for(user).get(url("task_detail", task.pk)))
        names = ("claim", "release", "update", "verify", "reopen", "cancel", "hours")
        return {name for name in names if url(f"task_{name}", task.pk) in html}

    assert forms_for(world.resident) == set()
    assert forms_for(world.volunteer) == set()
    assert forms_for(world.leader) == {"claim"}
    assert forms_for(world.staff) == {"cancel"}

    claimed(world, task)
    assert forms_for(world.leader) == {"release", "update", "hours"}
    assert forms_for(world.volunteer) == {"update", "hours"}
    assert forms_for(world.other_leader) == set()
    assert forms_for(world.staff) == {"release", "update", "cancel"}

    services.post_update(actor=world.volunteer, task=task, text="完成", status="done")
    assert forms_for(world.staff) == {"verify", "reopen", "cancel", "update"}
    assert forms_for(world.volunteer) == {"update", "hours"}
    services.verify_task(actor=world.staff, task=task)
    assert forms_for(world.staff) == {"reopen"}
    assert forms_for(world.volunteer) == {"hours"}


def test_claim_through_the_page(world, task):
    client = client_for(world.leader)
    html = html_of(client.get(url("task_detail", task.pk)))
    assert "Claim for 环境志愿服务队" in html
    response = client.post(url("task_claim", task.pk), {"team": world.team.pk})
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    task.refresh_from_db()
    assert task.status == "claimed" and task.team == world.team
    html = html_of(client.get(url("task_detail", task.pk)))
    assert "环境志愿服务队 took on this task." in html
    assert 'data-status="claimed"' in html


def test_a_lost_claim_names_the_team_that_holds_it(world, task):
    # Both leaders loaded the page while the task was open; the first one wins.
    claimed(world, task)
    response = client_for(world.other_leader).post(
        url("task_claim", task.pk), {"team": world.other_team.pk}
    )
    assert response.status_code == 302
    assert "Already taken by 环境志愿服务队" in messages_of(response)
    task.refresh_from_db()
    assert task.team == world.team


def test_claim_for_a_team_one_does_not_lead_is_refused(world, task):
    response = client_for(world.volunteer).post(url("task_claim", task.pk), {"team": world.team.pk})
    assert any("leader" in m for m in messages_of(response))
    response = client_for(world.leader).post(url("task_claim", task.pk), {"team": "nonsense"})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == "open"


def test_update_with_photo_and_status(world, task):
    claimed(world, task)
    client = client_for(world.volunteer)
    response = client.post(
        url("task_update", task.pk),
        {"text": "纸箱已清走一半", "status": "in_progress", "photo": png_file()},
    )
    assert response.status_code == 302
    update = TaskUpdate.objects.get(task=task)
    assert (
        update.text == "纸箱已清走一半" and update.photo and update.status_change == "in_progress"
    )
    task.refresh_from_db()
    assert task.status == "in_progress"
    html = html_of(client.get(url("task_detail", task.pk)))
    assert "纸箱已清走一半" in html
    assert update.photo_url in html


def test_update_errors_stay_on_the_form(world, task):
    claimed(world, task)
    client = client_for(world.volunteer)
    response = client.post(url("task_update", task.pk), {"text": ""})
    assert response.status_code == 400
    assert "Write a few words or add a photo." in html_of(response)
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = client.post(url("task_update", task.pk), {"text": "看图", "photo": bad})
    assert response.status_code == 400
    assert "Upload a JPEG, PNG or WebP photo." in html_of(response)
    # A status the user may not set is not offered.
    response = client.post(url("task_update", task.pk), {"text": "x", "status": "verified"})
    assert response.status_code == 400
    assert not TaskUpdate.objects.filter(task=task).exists()


def test_staff_verify_reopen_cancel(world, task):
    claimed(world, task)
    services.post_update(actor=world.volunteer, task=task, text="完成", status="done")
    # A leader may not verify; the page says so and nothing changes.
    response = client_for(world.leader).post(url("task_verify", task.pk), {"verify-note": ""})
    assert "Only community staff can verify tasks." in messages_of(response)
    task.refresh_from_db()
    assert task.status == "done"

    staff = client_for(world.staff)
    staff.post(url("task_verify", task.pk), {"verify-note": "干净"})
    task.refresh_from_db()
    assert task.status == "verified"
    staff.post(url("task_reopen", task.pk), {"reopen-reason": "又堆上了"})
    task.refresh_from_db()
    assert task.status == "open" and task.team is None
    staff.post(url("task_cancel", task.pk), {"cancel-reason": "业主自行处理"})
    task.refresh_from_db()
    assert task.status == "cancelled"


def test_release_by_the_leader(world, task):
    claimed(world, task)
    response = client_for(world.volunteer).post(url("task_release", task.pk), {})
    assert any("leader" in m for m in messages_of(response))
    client_for(world.leader).post(url("task_release", task.pk), {"release-reason": "人手不够"})
    task.refresh_from_db()
    assert task.status == "open" and task.team is None


def test_anonymous_posts_go_to_login(world, task):
    for name in ("claim", "release", "update", "verify", "reopen", "cancel", "hours"):
        response = client_for(None).post(url(f"task_{name}", task.pk), {})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(world.leader).get(url("task_claim", task.pk)).status_code == 405


def test_sensitive_task_is_redacted_for_others(world, secret):
    for user in (None, world.resident, world.other_leader):
        response = client_for(user).get(url("task_detail", secret.pk))
        assert response.status_code == 200
        html = html_of(response)
        assert SECRET_TITLE not in html and SECRET_TEXT not in html
        assert "Confidential task" in html
        assert "data-live-topic" not in html  # nothing to follow for them
    for user in (world.staff, world.street_staff):
        html = html_of(client_for(user).get(url("task_detail", secret.pk)))
        assert SECRET_TITLE in html and SECRET_TEXT in html
    claimed(world, secret)
    services.post_update(actor=world.volunteer, task=secret, text=SECRET_TEXT + "，已上门")
    html = html_of(client_for(world.volunteer).get(url("task_detail", secret.pk)))
    assert SECRET_TITLE in html and "已上门" in html
    html = html_of(client_for(world.resident).get(url("task_detail", secret.pk)))
    assert "已上门" not in html and SECRET_TITLE not in html
    # Lists redact it too.
    html = html_of(client_for(None).get(url("team_detail", world.team.pk)))
    assert SECRET_TITLE not in html and "Confidential task" in html


def test_task_page_queries_do_not_grow(world, task, django_assert_max_num_queries):
    claimed(world, task)
    client = client_for(world.volunteer)
    baseline = queries_for(client, url("task_detail", task.pk))
    assert baseline <= 20
    for i in range(25):
        services.post_update(actor=world.volunteer, task=task, text=f"第{i}次进展")
        services.log_hours(actor=world.volunteer, task=task, hours="0.5", date=timezone.localdate())
    with django_assert_max_num_queries(baseline):
        response = client.get(url("task_detail", task.pk))
    assert "第24次进展" in html_of(response)


# --- hours -------------------------------------------------------------------------------------


def test_log_hours_and_leader_review(world, task):
    claimed(world, task)
    volunteer = client_for(world.volunteer)
    today = timezone.localdate().isoformat()
    response = volunteer.post(
        url("task_hours", task.pk), {"hours-hours": "2.5", "hours-date": today, "hours-note": ""}
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get(volunteer=world.volunteer)
    assert record.status == "pending" and record.hours == 2.5

    html = html_of(volunteer.get(url("my_hours")))
    assert "Waiting for review" in html and "清理3栋楼道杂物" in html

    # Only leaders (and staff) reach the review page.
    assert volunteer.get(url("team_hours", world.team.pk)).status_code == 403
    assert client_for(world.other_leader).get(url("team_hours", world.team.pk)).status_code == 403
    leader = client_for(world.leader)
    html = html_of(leader.get(url("team_hours", world.team.pk)))
    assert "志愿者" in html and url("hours_review", world.team.pk, record.pk) in html

    response = leader.post(url("hours_review", world.team.pk, record.pk), {"decision": "decline"})
    assert any("Reason" in m for m in messages_of(response))
    record.refresh_from_db()
    assert record.status == "pending"
    leader.post(url("hours_review", world.team.pk, record.pk), {"decision": "approve"})
    record.refresh_from_db()
    assert record.status == "approved" and record.reviewer == world.leader


def test_hours_form_errors(world, task):
    claimed(world, task)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client_for(world.volunteer).post(
        url("task_hours", task.pk), {"hours-hours": "2", "hours-date": tomorrow}
    )
    assert response.status_code == 400
    assert "The date cannot be in the future." in html_of(response)
    response = client_for(world.volunteer).post(
        url("task_hours", task.pk), {"hours-hours": "30", "hours-date": ""}
    )
    assert response.status_code == 400
    assert not ServiceRecord.objects.exists()


def test_declined_hours_show_the_reason_and_stars_count_approved(world, task, settings):
    settings.STAR_LEVEL_THRESHOLDS = [2, 5, 10, 20, 40]
    claimed(world, task)
    day = timezone.localdate()
    first = services.log_hours(actor=world.volunteer, task=task, hours=3, date=day)
    second = services.log_hours(actor=world.volunteer, task=task, hours=4, date=day)
    leader = client_for(world.leader)
    leader.post(url("hours_review", world.team.pk, first.pk), {"decision": "approve"})
    leader.post(
        url("hours_review", world.team.pk, second.pk),
        {"decision": "decline", "reason": "当天没有出勤记录"},
    )
    html = html_of(client_for(world.volunteer).get(url("my_hours")))
    assert "当天没有出勤记录" in html
    assert 'id="approved-hours">3<' in html
    assert "1 star" in html


def test_leader_cannot_approve_own_hours(world, task):
    claimed(world, task)
    record = services.log_hours(actor=world.leader, task=task, hours=1, date=timezone.localdate())
    html = html_of(client_for(world.leader).get(url("team_hours", world.team.pk)))
    assert "Your own hours are reviewed" in html
    response = client_for(world.leader).post(
        url("hours_review", world.team.pk, record.pk), {"decision": "approve"}
    )
    assert response.status_code == 403
    # Staff may.
    client_for(world.staff).post(
        url("hours_review", world.team.pk, record.pk), {"decision": "approve"}
    )
    record.refresh_from_db()
    assert record.status == "approved"


def test_hours_pages_need_sign_in(world):
    for page in (url("my_hours"), url("team_hours", world.team.pk), url("my_tasks")):
        response = client_for(None).get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- my tasks ----------------------------------------------------------------------------------


def test_my_tasks_lists_the_tasks_of_my_teams(world, task, django_assert_max_num_queries):
    claimed(world, task)
    other = make_task(world.yuling, team=world.other_team, status="claimed", title="别队的活")
    waiting = make_task(world.yuling, title="派给我们的")
    waiting.dispatched_team = world.team
    waiting.save()
    client = client_for(world.volunteer)
    baseline = queries_for(client, url("my_tasks"))
    assert baseline <= 10
    html = html_of(client.get(url("my_tasks")))
    assert "清理3栋楼道杂物" in html and "派给我们的" in html
    assert other.title not in html
    for i in range(20):
        make_task(world.yuling, team=world.team, status="in_progress", title=f"任务{i}")
    with django_assert_max_num_queries(baseline):
        assert "任务19" in html_of(client.get(url("my_tasks")))
    assert "not in a volunteer team" in html_of(client_for(world.resident).get(url("my_tasks")))


# --- dispatch and needs ------------------------------------------------------------------------


def test_dispatch_is_for_staff(world):
    response = client_for(None).get(url("dispatch"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (world.resident, world.leader, world.volunteer):
        assert client_for(user).get(url("dispatch")).status_code == 403
        assert client_for(user).post(url("dispatch"), {"title": "x"}).status_code == 403
    assert client_for(world.staff).get(url("dispatch")).status_code == 200


def test_staff_create_a_task_for_a_team(world):
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client_for(world.staff).post(
        url("dispatch"),
        {
            "community": world.yuling.pk,
            "title": "修剪3栋前绿化带",
            "description": "树枝挡住了路灯。",
            "location": "3栋",
            "priority": "urgent",
            "required_skills": ["greening"],
            "due_date": due,
            "team": world.team.pk,
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(title="修剪3栋前绿化带")
    assert response["Location"] == task.get_absolute_url()
    assert task.dispatched_team == world.team and task.priority == "urgent"
    assert list(task.required_skills.values_list("slug", flat=True)) == ["greening"]
    assert timezone.localtime(task.due_at).date().isoformat() == due
    assert not task.sensitive and task.created_by == world.staff


def test_dispatch_form_errors(world):
    client = client_for(world.staff)
    # A community the user does not staff is not a valid choice.
    response = client.post(
        url("dispatch"), {"community": world.other.pk, "title": "x", "priority": "normal"}
    )
    assert response.status_code == 200 and "errorlist" in html_of(response)
    # The service refuses a team that does not serve the community: shown on the field.
    far = Team.objects.create(name="远方的队")
    response = client.post(
        url("dispatch"),
        {"community": world.yuling.pk, "title": "扫雪", "priority": "normal", "team": far.pk},
    )
    assert "This team is not active or does not serve this community." in html_of(response)
    assert not Task.objects.exists()


def test_resident_asks_for_help_and_staff_accept_or_decline(world):
    resident = client_for(world.resident)
    html = html_of(resident.get(url("my_needs")))
    assert "What do you need?" in html
    response = resident.post(
        url("my_needs"),
        {
            "community": world.yuling.pk,
            "category": "elderly-care",
            "description": "想请人周三陪我去医院复查。",
            "private": "on",
        },
    )
    assert response.status_code == 302
    need = Need.objects.get(requester=world.resident)
    assert need.private and need.status == "open"

    staff = client_for(world.staff)
    html = html_of(staff.get(url("dispatch")))
    assert "想请人周三陪我去医院复查。" in html
    assert client_for(world.resident).post(url("need_accept", need.pk), {}).status_code == 403
    response = staff.post(url("need_accept", need.pk), {"priority": "normal", "team": ""})
    need.refresh_from_db()
    assert need.status == "accepted"
    assert response["Location"] == need.task.get_absolute_url()
    assert need.task.sensitive  # a private need becomes a sensitive task

    html = html_of(resident.get(url("my_needs")))
    assert need.task.get_absolute_url() in html

    other = services.file_need(
        actor=world.resident, community=world.yuling, category="repairs", description="修水管"
    )
    response = staff.post(url("need_decline", other.pk), {"reason": ""})
    assert any("Reason" in m for m in messages_of(response))
    staff.post(url("need_decline", other.pk), {"reason": "请联系物业维修"})
    other.refresh_from_db()
    assert other.status == "declined"
    assert "请联系物业维修" in html_of(resident.get(url("my_needs")))


def test_only_verified_residents_get_the_need_form(world):
    assert client_for(None).get(url("my_needs")).status_code == 302
    html = html_of(client_for(world.pending).get(url("my_needs")))
    assert "Only verified residents can ask for help here." in html
    response = client_for(world.pending).post(
        url("my_needs"),
        {"community": world.yuling.pk, "category": "other", "description": "帮忙"},
    )
    assert response.status_code == 200 and "errorlist" in html_of(response)
    assert not Need.objects.exists()


def test_a_staffed_street_sees_needs_below_it(world):
    need = services.file_need(
        actor=world.resident, community=world.yuling, category="cleaning", description="清扫"
    )
    html = html_of(client_for(world.street_staff).get(url("dispatch")))
    assert url("need_accept", need.pk) in html
    html = html_of(client_for(world.other_staff).get(url("dispatch")))
    assert url("need_accept", need.pk) not in html


def test_new_member_of_other_community_may_ask_to_join(world):
    # A verified resident of another community joins a team serving 玉岭社区.
    outsider = member(make_user("x@example.com"), world.other)
    html = html_of(client_for(outsider).get(url("team_detail", world.team.pk)))
    assert url("team_join", world.team.pk) in html


def _grow(world, n):
    """n more of every kind of row the list pages show."""
    day = timezone.localdate()
    for i in range(n):
        volunteer = member(make_user(f"v{n}-{i}@example.com"), world.yuling)
        TeamMembership.objects.create(team=world.team, user=volunteer, status="active")
        task = make_task(world.yuling, team=world.team, status="in_progress", title=f"行{n}-{i}")
        make_task(world.yuling, title=f"开放{n}-{i}")
        make_task(world.yuling, title=f"保密{n}-{i}", sensitive=True, dispatched_team=world.team)
        for who in (volunteer, world.volunteer):
            services.log_hours(actor=who, task=task, hours=1, date=day)
        ServiceRecord.objects.filter(volunteer=volunteer).update(
            status="approved", reviewer=world.staff
        )
        services.file_need(
            actor=world.resident, community=world.yuling, category="other", description=f"需{i}"
        )
        services.request_team_membership(
            actor=member(make_user(f"r{n}-{i}@example.com"), world.yuling), team=world.team
        )


@pytest.mark.parametrize(
    "who, page",
    [
        ("anonymous", lambda w: url("team_detail", w.team.pk)),
        ("leader", lambda w: url("team_detail", w.team.pk)),
        ("volunteer", lambda w: url("my_hours")),
        ("leader", lambda w: url("team_hours", w.team.pk)),
        ("staff", lambda w: url("dispatch")),
        ("resident", lambda w: url("my_needs")),
    ],
)
def test_other_list_pages_cost_the_same_however_many_rows(
    world, who, page, django_assert_max_num_queries
):
    user = None if who == "anonymous" else getattr(world, who)
    client = client_for(user)
    _grow(world, 1)
    baseline = queries_for(client, page(world))
    assert baseline <= 20
    _grow(world, 12)
    with django_assert_max_num_queries(baseline):
        assert client.get(page(world)).status_code == 200
