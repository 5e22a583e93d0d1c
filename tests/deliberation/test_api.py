"""The council API: visibility, filters, errors, escaping, rate limits, query counts."""

import io
import json

import pytest
from django.utils.safestring import SafeData
from PIL import Image

from deliberation import services
from deliberation.models import Comment, Follow, Proposal, ProposalPhoto

from .conftest import client_for, make_proposal

pytestmark = pytest.mark.django_db

JSON = "application/json"


def list_url(world, **params):
    from urllib.parse import urlencode

    query = f"?{urlencode(params)}" if params else ""
    return f"/api/v1/communities/{world.yuling.pk}/proposals{query}"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_list_shows_published_to_everyone_and_own_drafts_to_the_author(world):
    draft = make_proposal(world, status="draft")
    submitted = make_proposal(world, status="submitted")
    discussion = make_proposal(world, status="discussion")
    voting = make_proposal(world, status="voting")
    hidden = make_proposal(world, status="discussion", hidden=True)
    others = make_proposal(world, status="submitted", author=world.resident2)

    everyone = {discussion.pk, voting.pk}
    assert set(ids(client_for(None).get(list_url(world)))) == everyone
    assert set(ids(client_for(world.resident3).get(list_url(world)))) == everyone
    # the author sees their own drafts, submitted and hidden proposals too
    assert set(ids(client_for(world.resident).get(list_url(world)))) == everyone | {
        draft.pk,
        submitted.pk,
        hidden.pk,
    }
    # staff see everything of their community
    assert set(ids(client_for(world.staff).get(list_url(world)))) == everyone | {
        draft.pk,
        submitted.pk,
        hidden.pk,
        others.pk,
    }
    # staff of another community see the public ones only
    assert set(ids(client_for(world.other_staff).get(list_url(world)))) == everyone


def test_list_filters(world):
    body = {"body": "详见标题", "location": ""}
    a = make_proposal(
        world, status="discussion", category="greenery", title="绿化带堆放杂物", **body
    )
    b = make_proposal(world, status="voting", category="sanitation", title="垃圾分类点清运", **body)
    c = make_proposal(world, status="accepted", category="sanitation", title="楼道灯", **body)
    client = client_for(None)
    assert ids(client.get(list_url(world, status="voting"))) == [b.pk]
    assert set(ids(client.get(list_url(world, category="sanitation")))) == {b.pk, c.pk}
    assert ids(client.get(list_url(world, category="greenery", status="discussion"))) == [a.pk]
    assert ids(client.get(list_url(world, q="垃圾"))) == [b.pk]
    assert ids(client.get(list_url(world, q="绿化"))) == [a.pk]
    assert ids(client_for(world.resident).get(list_url(world, mine="true"))) == [c.pk, b.pk, a.pk]
    assert ids(client.get(list_url(world, mine="true"))) == []
    page = client.get(list_url(world, limit=2, offset=0)).json()
    assert page["count"] == 3 and len(page["items"]) == 2
    for bad in ({"status": "bogus"}, {"category": "x"}, {"limit": 0}, {"limit": 1000}):
        response = client.get(list_url(world, **bad))
        assert response.status_code == 400, bad
        assert response.json()["code"] == "invalid"


def test_list_query_count_is_constant(world, django_assert_max_num_queries):
    from deliberation.models import Vote

    for i in range(3):
        proposal = make_proposal(world, status="voting", title=f"议题{i}")
        Vote.objects.create(proposal=proposal, voter=world.resident2, choice="support")
        Comment.objects.create(proposal=proposal, author=world.resident2, body="意见")
    client = client_for(world.resident)
    client.get(list_url(world))  # warm up the session
    with django_assert_max_num_queries(12) as few:
        client.get(list_url(world))
    for i in range(20):
        proposal = make_proposal(world, status="voting", title=f"更多{i}", category="traffic")
        Vote.objects.create(proposal=proposal, voter=world.resident3, choice="oppose")
        Comment.objects.create(proposal=proposal, author=world.resident3, body="意见")
        ProposalPhoto.objects.create(proposal=proposal, image="proposals/x.png")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(list_url(world))
    assert len(response.json()["items"]) == 20


def test_detail_fields(world):
    proposal = make_proposal(world, status="voting")
    services.cast_vote(actor=world.resident2, proposal=proposal, choice="support")
    data = client_for(world.resident2).get(f"/api/v1/proposals/{proposal.pk}").json()
    for key in (
        "id",
        "title",
        "body",
        "category",
        "status",
        "community",
        "author",
        "tally",
        "voting",
        "outcome",
        "task",
        "url",
    ):
        assert key in data
    assert data["tally"] == {"support": 1, "oppose": 0, "abstain": 0, "total": 1}
    assert data["voting"]["is_open"] is True
    assert data["my_vote"] == "support"
    assert data["permissions"]["vote"] is True
    assert data["permissions"]["decide"] is False
    assert data["url"].endswith(f"/{proposal.pk}/")
    assert data["author"] == {"id": world.resident.pk, "display_name": "居民甲"}


def test_detail_shows_task_summary(world):
    proposal = make_proposal(world, status="voting")
    for user in (world.resident, world.resident2, world.rep):
        services.cast_vote(actor=user, proposal=proposal, choice="support")
    services.decide_proposal(actor=world.staff, proposal=proposal)
    from teams import services as team_services

    proposal.refresh_from_db()
    team_services.claim_task(actor=world.leader, task=proposal.task, team=world.team)
    data = client_for(None).get(f"/api/v1/proposals/{proposal.pk}").json()
    assert data["task"] == {
        "id": proposal.task_id,
        "status": "claimed",
        "team": {"id": world.team.pk, "name": "玉岭社区环境志愿服务队"},
    }


@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_unpublished_proposals_answer_404_to_others(world, status):
    proposal = make_proposal(world, status=status)
    url = f"/api/v1/proposals/{proposal.pk}"
    assert client_for(None).get(url).status_code == 404
    assert client_for(world.resident2).get(url).status_code == 404
    assert client_for(world.resident).get(url).status_code == 200
    assert client_for(world.staff).get(url).status_code == 200
    response = client_for(world.resident2).post(f"{url}/comments", {"body": "x"}, JSON)
    assert response.status_code == 404


def test_hidden_proposals_are_invisible_to_others(world):
    proposal = make_proposal(world, status="voting")
    services.hide_proposal(actor=world.staff, proposal=proposal, reason="含个人电话")
    url = f"/api/v1/proposals/{proposal.pk}"
    for user in (None, world.resident2, world.other_staff):
        client = client_for(user)
        assert client.get(url).status_code == 404
        assert client.get(f"{url}/comments").status_code == 404
        assert proposal.pk not in ids(client.get(list_url(world)))
    response = client_for(world.resident2).put(f"{url}/vote", {"choice": "support"}, JSON)
    assert response.status_code == 404
    # author and staff see it, with the reason
    for user in (world.resident, world.staff):
        data = client_for(user).get(url).json()
        assert data["hidden"] is True
        assert data["hidden_reason"] == "含个人电话"
    # restoring shows it again
    services.restore_proposal(actor=world.staff, proposal=proposal)
    assert client_for(None).get(url).status_code == 200
    assert client_for(None).get(url).json()["hidden_reason"] == ""


PAYLOADS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ request.user }} {% debug %}",
    "<b>粗体</b> &amp; &lt;",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_script_and_html_come_back_as_plain_text(world, payload):
    response = client_for(world.resident).post(
        list_url(world),
        {"title": payload, "body": payload, "location": payload, "category": "other"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json")
    pk = response.json()["id"]
    proposal = Proposal.objects.get(pk=pk)
    services.publish_proposal(actor=world.staff, proposal=proposal)
    comment = client_for(world.resident2).post(
        f"/api/v1/proposals/{pk}/comments", {"body": payload}, content_type=JSON
    )
    assert comment.status_code == 201
    data = client_for(None).get(f"/api/v1/proposals/{pk}").json()
    assert data["title"] == data["body"] == data["location"] == payload
    comments = client_for(None).get(f"/api/v1/proposals/{pk}/comments").json()["items"]
    assert comments[0]["body"] == payload
    # the JSON text holds the characters escaped as JSON strings, never as markup to run
    raw = client_for(None).get(f"/api/v1/proposals/{pk}").content.decode()
    assert json.loads(raw)["title"] == payload
    # nothing is stored or returned as "safe" markup
    proposal.refresh_from_db()
    for value in (proposal.title, proposal.body, proposal.location):
        assert not isinstance(value, SafeData)
    stored = Comment.objects.get(proposal=proposal)
    assert not isinstance(stored.body, SafeData)
    from deliberation.api import proposal_out

    out = proposal_out(proposal, user=world.resident, staff=False, running=None, comments_count=0)
    assert not any(isinstance(v, SafeData) for v in out.values())


def test_signed_out_writes_are_401(world):
    proposal = make_proposal(world, status="voting")
    client = client_for(None)
    assert client.post(list_url(world), {"title": "t", "body": "b"}, JSON).status_code == 401
    response = client.put(f"/api/v1/proposals/{proposal.pk}/vote", {"choice": "support"}, JSON)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_forbidden_is_403_with_json(world):
    proposal = make_proposal(world, status="submitted")
    response = client_for(world.resident).post(f"/api/v1/proposals/{proposal.pk}/publish")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    response = client_for(world.outsider).post(list_url(world), {"title": "t", "body": "b"}, JSON)
    assert response.status_code == 403


def test_conflicts_are_409(world):
    proposal = make_proposal(world, status="discussion")
    response = client_for(world.staff).post(f"/api/v1/proposals/{proposal.pk}/publish")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/proposals/99999999999999999999999", None),
        ("get", "/api/v1/proposals/9223372036854775808", None),
        ("get", "/api/v1/proposals/-1", None),
        ("get", "/api/v1/proposals/0", None),
        ("get", "/api/v1/proposals/abc", None),
        ("get", "/api/v1/communities/99999999999/proposals", None),
        ("get", "/api/v1/communities/9223372036854775808/proposals", None),
        ("post", "/api/v1/communities/{c}/proposals", "not json"),
        ("post", "/api/v1/communities/{c}/proposals", "[1, 2]"),
        ("post", "/api/v1/communities/{c}/proposals", '{"title": 5, "body": []}'),
        ("post", "/api/v1/communities/{c}/proposals", '{"title": "t\\u0000", "body": "b"}'),
        (
            "post",
            "/api/v1/communities/{c}/proposals",
            '{"title": "t", "body": "b", "category": "?"}',
        ),
        (
            "post",
            "/api/v1/communities/{c}/proposals",
            '{"title": "' + "长" * 200 + '", "body": "b"}',
        ),
        ("put", "/api/v1/proposals/{p}/vote", '{"choice": "yes"}'),
        (
            "put",
            "/api/v1/proposals/{p}/vote",
            '{"choice": "support", "voter": 99999999999999999999}',
        ),
        ("put", "/api/v1/proposals/{p}/vote", '{"choice": "support", "voter": -5}'),
        ("put", "/api/v1/proposals/{p}/vote", "{"),
        ("post", "/api/v1/proposals/{p}/comments", '{"body": "x", "parent": 99999999999999999999}'),
        ("post", "/api/v1/proposals/{p}/comments", '{"body": ""}'),
        ("post", "/api/v1/proposals/{p}/voting", '{"closes_at": "yesterday"}'),
        ("post", "/api/v1/proposals/{p}/decision", '{"outcome": 12}'),
        ("patch", "/api/v1/proposals/{p}", '{"category": "nope"}'),
        ("delete", "/api/v1/proposals/{p}/photos/99999999999999999999999", None),
        ("get", "/api/v1/proposals/{p}/comments?limit=-1", None),
        ("get", "/api/v1/meetings/99999999999999999999", None),
        ("get", "/api/v1/communities/{c}/proposals?offset=99999999999999999999", None),
    ],
)
def test_no_input_gives_a_500(world, method, path, body):
    proposal = make_proposal(world, status="voting")
    path = path.format(c=world.yuling.pk, p=proposal.pk)
    client = client_for(world.staff)
    client.raise_request_exception = False
    kwargs = {"content_type": JSON} if body is not None else {}
    args = (path, body) if body is not None else (path,)
    response = getattr(client, method)(*args, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_rate_limit_gives_429_with_retry_after(world, settings):
    settings.DELIBERATION_RATE_LIMITS = {"comment": (2, 60), "proposal": (1, 3600), "vote": (3, 60)}
    proposal = make_proposal(world, status="voting")
    client = client_for(world.resident2)
    url = f"/api/v1/proposals/{proposal.pk}/comments"
    assert client.post(url, {"body": "1"}, JSON).status_code == 201
    assert client.post(url, {"body": "2"}, JSON).status_code == 201
    response = client.post(url, {"body": "3"}, JSON)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # others are not affected
    assert client_for(world.resident3).post(url, {"body": "x"}, JSON).status_code == 201

    vote_url = f"/api/v1/proposals/{proposal.pk}/vote"
    for _ in range(3):
        assert client.put(vote_url, {"choice": "support"}, JSON).status_code == 200
    response = client.put(vote_url, {"choice": "oppose"}, JSON)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1

    new = {"title": "t", "body": "b"}
    assert client.post(list_url(world), new, JSON).status_code == 201
    response = client.post(list_url(world), new, JSON)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600


def test_author_edits_through_patch(world):
    proposal = make_proposal(world, status="submitted")
    url = f"/api/v1/proposals/{proposal.pk}"
    response = client_for(world.resident).patch(url, {"location": "西门停车场"}, JSON)
    assert response.status_code == 200
    assert response.json()["location"] == "西门停车场"
    assert response.json()["title"] == proposal.title
    response = client_for(world.staff).patch(url, {"title": "x"}, JSON)
    assert response.status_code == 403


def test_withdraw_and_return_through_the_api(world):
    proposal = make_proposal(world, status="submitted")
    url = f"/api/v1/proposals/{proposal.pk}"
    response = client_for(world.staff).post(f"{url}/return", {"reason": "请写明地点"}, JSON)
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert response.json()["return_reason"] == "请写明地点"
    response = client_for(world.staff).post(f"{url}/return", {}, JSON)
    assert response.status_code == 400  # reason required
    response = client_for(world.resident).post(f"{url}/withdraw", {}, JSON)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_follow_and_unfollow(world):
    proposal = make_proposal(world, status="discussion")
    client = client_for(world.resident2)
    url = f"/api/v1/proposals/{proposal.pk}/follow"
    assert client.post(url).json() == {"following": True}
    assert client.post(url).json() == {"following": True}
    assert Follow.objects.filter(proposal=proposal, user=world.resident2).count() == 1
    assert client.delete(url).json() == {"following": False}
    assert not Follow.objects.filter(proposal=proposal, user=world.resident2).exists()
    assert client_for(None).post(url).status_code == 401


def _image(fmt="PNG", size=(20, 20)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "green").save(buffer, format=fmt)
    buffer.seek(0)
    return buffer


def test_photos_type_size_and_count(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    proposal = make_proposal(world, status="draft")
    client = client_for(world.resident)
    url = f"/api/v1/proposals/{proposal.pk}/photos"

    def upload(*files):
        return client.post(url, {"photos": list(files)})

    png = SimpleUploadedFile("a.png", _image("PNG").read(), content_type="image/png")
    jpg = SimpleUploadedFile("b.jpg", _image("JPEG").read(), content_type="image/jpeg")
    response = upload(png, jpg)
    assert response.status_code == 201, response.content
    assert len(response.json()) == 2

    fake = SimpleUploadedFile("c.png", b"<script>not an image</script>", content_type="image/png")
    response = upload(fake)
    assert response.status_code == 400
    assert "photos" in response.json()["errors"]

    gif = SimpleUploadedFile("d.gif", _image("GIF").read(), content_type="image/gif")
    assert upload(gif).status_code == 400

    from core.images import MAX_IMAGE_BYTES

    big = SimpleUploadedFile("e.png", b"0" * (MAX_IMAGE_BYTES + 1), content_type="image/png")
    assert upload(big).status_code == 400

    more = [
        SimpleUploadedFile(f"{i}.png", _image("PNG").read(), content_type="image/png")
        for i in range(3)
    ]
    response = upload(*more)
    assert response.status_code == 400  # 2 + 3 > 4
    assert ProposalPhoto.objects.filter(proposal=proposal).count() == 2

    response = client_for(world.resident2).post(
        url, {"photos": [SimpleUploadedFile("x.png", _image().read())]}
    )
    assert response.status_code == 404  # a draft is invisible to others

    photo = ProposalPhoto.objects.filter(proposal=proposal).first()
    assert client.delete(f"{url}/{photo.pk}").status_code == 204
    assert ProposalPhoto.objects.filter(proposal=proposal).count() == 1

    detail = client.get(f"/api/v1/proposals/{proposal.pk}").json()
    assert len(detail["photos"]) == 1
    assert detail["photos"][0]["url"].startswith("/photos/proposals/")


def test_council_rules_endpoint(world):
    data = client_for(None).get(f"/api/v1/communities/{world.yuling.pk}/council").json()
    assert data["voters"] == "residents"
    assert data["quorum_votes"] == 3
    assert data["pass_percent"] == 50
    assert data["eligible_voters"] == 5
