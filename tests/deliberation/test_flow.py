"""The whole path through the API: propose, publish, discuss, vote, decide, task."""

import pytest

from deliberation.models import Proposal, Vote
from teams.models import Task

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_resident_proposes_staff_publish_vote_decide_creates_task(
    world, django_capture_on_commit_callbacks
):
    resident = client_for(world.resident)
    staff = client_for(world.staff)

    response = resident.post(
        f"/api/v1/communities/{world.yuling.pk}/proposals",
        {
            "title": "东门垃圾分类点垃圾无人清运",
            "body": "分类点的桶已经满了三天。",
            "category": "sanitation",
            "location": "东门",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "submitted"
    assert data["community"] == {"id": world.yuling.pk, "name": "玉岭社区"}
    assert data["author"]["display_name"] == "居民甲"
    assert data["tally"] is None
    assert data["task"] is None
    assert data["following"] is True
    pk = data["id"]

    # not published yet: others do not see it
    assert client_for(world.resident2).get(f"/api/v1/proposals/{pk}").status_code == 404
    assert client_for(None).get(f"/api/v1/proposals/{pk}").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/proposals/{pk}/publish")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "discussion"
    assert client_for(None).get(f"/api/v1/proposals/{pk}").status_code == 200

    response = client_for(world.resident2).post(
        f"/api/v1/proposals/{pk}/comments", {"body": "同意，味道很大。"}, "application/json"
    )
    assert response.status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/proposals/{pk}/voting", {}, "application/json")
    assert response.status_code == 200, response.content
    assert response.json()["voting"]["closes_at"]
    assert response.json()["tally"] == {"support": 0, "oppose": 0, "abstain": 0, "total": 0}

    for user, choice in [
        (world.resident, "support"),
        (world.resident2, "support"),
        (world.resident3, "oppose"),
        (world.rep, "support"),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).put(
                f"/api/v1/proposals/{pk}/vote", {"choice": choice}, "application/json"
            )
        assert response.status_code == 200, response.content
    assert response.json()["tally"] == {"support": 3, "oppose": 1, "abstain": 0, "total": 4}

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/api/v1/proposals/{pk}/decision", {"outcome": "下周起每日清运"}, "application/json"
        )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "accepted"
    assert data["outcome"].startswith("下周起每日清运")
    assert data["tally"] == {"support": 3, "oppose": 1, "abstain": 0, "total": 4}
    assert data["task"]["status"] == "open"
    assert data["task"]["team"] is None

    task = Task.objects.get(pk=data["task"]["id"])
    assert task.origin == "proposal"
    assert task.community == world.yuling
    assert list(task.required_skills.values_list("slug", flat=True)) == ["sanitation"]
    assert Proposal.objects.get(pk=pk).task == task
    assert Vote.objects.filter(proposal_id=pk).count() == 4

    # a second decision is a conflict and creates nothing
    response = staff.post(f"/api/v1/proposals/{pk}/decision", {}, "application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_voting"
    assert Task.objects.count() == 1
