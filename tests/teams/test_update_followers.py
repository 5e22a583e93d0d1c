"""Followers of a task (and of the proposal it came from) are told of each progress update on
their `user:<id>` topic, with the text, the link and the photo; a sensitive task's news reach
only the people inside the case; following a task from its page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from PIL import Image

from deliberation.models import Follow
from live.models import Event
from teams import services
from teams.models import TaskFollow
from tests.factories import CouncilFactory, ProposalFactory, make_user, member

from .conftest import make_task

pytestmark = pytest.mark.django_db


def photo():
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 120, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


def notices(user):
    return list(Event.objects.filter(topic=f"user:{user.pk}", type="task.progress"))


def follower(world, email, community=None):
    return member(make_user(email), community or world.yuling)


def test_followers_get_text_link_and_photo(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    fan = follower(world, "fan@example.com")
    TaskFollow.objects.create(user=fan, task=task)
    TaskFollow.objects.create(user=world.volunteer, task=task)  # the author: not told
    update = services.post_update(
        actor=world.volunteer, task=task, text="纸箱已清走", photo=photo()
    )
    (event,) = notices(fan)
    assert event.data["url"] == task.get_absolute_url()
    assert event.data["photo"] == update.photo_url
    assert event.data["photo"].startswith("/")
    assert "纸箱已清走" in event.data["text"]
    assert set(event.data["texts"]) >= {"en", "zh-hans"}
    with translation.override("en"):
        assert event.data["texts"]["en"].startswith("志愿者 on “")
    assert notices(world.volunteer) == []


def test_proposal_author_and_followers_are_told(world):
    task = make_task(world.yuling, team=world.team, status="in_progress", origin="proposal")
    author = follower(world, "author@example.com")
    fan = follower(world, "fan@example.com")
    proposal = ProposalFactory(
        council=CouncilFactory(community=world.yuling), author=author, task=task, status="accepted"
    )
    Follow.objects.create(user=fan, proposal=proposal)
    Follow.objects.create(user=author, proposal=proposal)
    services.post_update(actor=world.leader, task=task, text="进行中", status="done")
    assert len(notices(author)) == 1
    assert len(notices(fan)) == 1


def test_one_insert_and_constant_queries(world):
    task = make_task(world.yuling, team=world.team, status="claimed")

    def post(n_followers, start):
        for n in range(n_followers):
            TaskFollow.objects.create(user=follower(world, f"f{start + n}@example.com"), task=task)
        with CaptureQueriesContext(connection) as captured:
            services.post_update(actor=world.volunteer, task=task, text="更新")
        inserts = [
            q
            for q in captured.captured_queries
            if "INSERT" in q["sql"] and "live_event" in q["sql"]
        ]
        assert len(inserts) == 1
        return len(captured.captured_queries)

    assert post(1, 0) == post(12, 100)
    assert Event.objects.filter(type="task.progress").count() == 1 + 13


def test_sensitive_task_news_only_inside_the_case(world):
    task = make_task(world.yuling, team=world.team, status="claimed", sensitive=True)
    outsider = follower(world, "curious@example.com")
    # Followed while it was not sensitive; a team member and staff are inside the case.
    for user in (outsider, world.leader, world.staff):
        TaskFollow.objects.create(user=user, task=task)
    services.post_update(actor=world.volunteer, task=task, text="已上门", photo=photo())
    assert notices(outsider) == []
    assert len(notices(world.leader)) == 1
    assert len(notices(world.staff)) == 1


def test_notifications_page_shows_the_thumbnail(world, client):
    task = make_task(world.yuling, team=world.team, status="claimed")
    fan = follower(world, "fan@example.com")
    TaskFollow.objects.create(user=fan, task=task)
    update = services.post_update(actor=world.volunteer, task=task, text="看图", photo=photo())
    client.force_login(fan)
    html = client.get("/live/notifications/").content.decode()
    assert f'src="{update.photo_url}"' in html
    assert client.get(update.photo_url).status_code == 200


def test_follow_and_unfollow_from_the_task_page(world, client):
    task = make_task(world.yuling, team=world.team, status="claimed")
    client.force_login(world.resident)
    page = client.get(task.get_absolute_url()).content.decode()
    assert 'id="task-follow"' in page and 'aria-pressed="false"' in page
    url = f"/teams/tasks/{task.pk}/follow/"
    assert client.post(url, {"follow": "1"}).status_code == 302
    assert client.post(url, {"follow": "1"}).status_code == 302  # again: nothing changes
    assert TaskFollow.objects.filter(user=world.resident, task=task).count() == 1
    assert 'aria-pressed="true"' in client.get(task.get_absolute_url()).content.decode()
    client.post(url, {"follow": "0"})
    assert not TaskFollow.objects.filter(user=world.resident, task=task).exists()


def test_nobody_follows_what_they_may_not_see(world, client):
    task = make_task(world.yuling, team=world.team, status="claimed", sensitive=True)
    client.force_login(world.resident)
    assert 'id="task-follow"' not in client.get(task.get_absolute_url()).content.decode()
    client.post(f"/teams/tasks/{task.pk}/follow/", {"follow": "1"})
    assert not TaskFollow.objects.exists()
    client.logout()
    response = client.post(f"/teams/tasks/{task.pk}/follow/", {"follow": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
