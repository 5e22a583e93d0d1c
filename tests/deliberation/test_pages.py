"""The council pages: who sees and may do what, forms go through the services, hidden content
stays hidden, typed script comes back escaped, Chinese search works, and the list pages cost a
fixed number of queries however many proposals and comments there are.

Uses the `world` fixture of tests/deliberation/conftest.py (玉岭社区 with its council).
"""

import io
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deliberation import services
from deliberation.models import (
    AgendaItem,
    Comment,
    Follow,
    Meeting,
    Proposal,
    ProposalPhoto,
    Report,
    Vote,
)
from teams.models import Task

from .conftest import client_for, make_proposal, make_user, member

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


def url(name, *args):
    return reverse(f"deliberation:{name}", args=args)


def html_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def png_file(name="photo.png"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 120, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx)


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    # Assert on the English source strings; keep uploads out of the project.
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (live pushes, tally events) as the services would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


# --- the council page --------------------------------------------------------------------------


def test_council_page_lists_published_proposals_by_status(world):
    discussion = make_proposal(world, title="垃圾分类点无人清运", status="discussion")
    voting = make_proposal(world, title="绿化带堆放杂物", status="voting", category="greenery")
    accepted = make_proposal(world, title="楼道灯坏了", status="accepted", category="facilities")
    draft = make_proposal(world, title="草稿提案", status="draft")
    submitted = make_proposal(world, title="待审核提案", status="submitted")
    hidden = make_proposal(world, title="被隐藏的提案", status="discussion", hidden=True)

    page = html_of(client_for(None).get(url("council", world.yuling.pk)))
    for shown in (discussion, voting, accepted):
        assert shown.title in page
        assert shown.get_absolute_url() in page
    for unseen in (draft, submitted, hidden):
        assert unseen.title not in page

    voting_tab = html_of(client_for(None).get(url("council", world.yuling.pk) + "?status=voting"))
    assert voting.title in voting_tab
    assert discussion.title not in voting_tab
    assert accepted.title not in voting_tab
    decided = html_of(client_for(None).get(url("council", world.yuling.pk) + "?status=decided"))
    assert accepted.title in decided and voting.title not in decided

    # staff see everything, hidden ones marked, and the review tab
    staff_page = html_of(client_for(world.staff).get(url("council", world.yuling.pk)))
    for shown in (discussion, voting, accepted, submitted, hidden):
        assert shown.title in staff_page
    assert "Waiting for review" in staff_page
    assert "Hidden" in staff_page
    # the author sees their own draft
    author_page = html_of(client_for(world.resident).get(url("council", world.yuling.pk)))
    assert draft.title in author_page
    assert hidden.title in author_page  # their own, hidden: shown to them with the badge
    other = html_of(client_for(world.resident2).get(url("council", world.yuling.pk)))
    assert draft.title not in other and hidden.title not in other


def test_council_page_search_finds_chinese_words_and_filters_by_category(world):
    garbage = make_proposal(world, title="垃圾分类点无人清运", body="东门的桶满了。")
    junk = make_proposal(
        world,
        title="绿化带堆放杂物",
        body="有人把建筑垃圾倒进了绿化带。",
        category="greenery",
        location="绿化带",
    )
    lights = make_proposal(
        world, title="楼道灯坏了", body="三栋二单元。", category="facilities", location="三栋"
    )

    client = client_for(None)
    page = html_of(client.get(url("council", world.yuling.pk), {"q": "垃圾"}))
    assert garbage.title in page
    assert junk.title in page  # found in the body
    assert lights.title not in page
    assert "2 proposals found for “垃圾”" in page

    page = html_of(client.get(url("council", world.yuling.pk), {"q": "垃圾分类"}))
    assert garbage.title in page and junk.title not in page

    page = html_of(client.get(url("council", world.yuling.pk), {"category": "greenery"}))
    assert junk.title in page and garbage.title not in page and lights.title not in page

    page = html_of(client.get(url("council", world.yuling.pk), {"q": "垃圾", "category": "other"}))
    assert "No proposals match." in page

    # a bad category is ignored, not an error; search within a tab keeps the tab
    assert client.get(url("council", world.yuling.pk), {"category": "nope"}).status_code == 200
    page = html_of(client.get(url("council", world.yuling.pk), {"q": "垃圾", "status": "voting"}))
    assert garbage.title not in page


def test_council_page_paginates(world):
    for i in range(25):
        make_proposal(world, title=f"提案{i:02d}")
    client = client_for(None)
    first = html_of(client.get(url("council", world.yuling.pk)))
    assert "提案24" in first and "提案04" not in first
    assert "Page 1 of 2" in first
    second = html_of(client.get(url("council", world.yuling.pk), {"page": 2}))
    assert "提案04" in second and "提案24" not in second
    # out of range and junk page numbers fall back to a real page
    assert client.get(url("council", world.yuling.pk), {"page": "999"}).status_code == 200
    assert client.get(url("council", world.yuling.pk), {"page": "x"}).status_code == 200


def test_council_page_without_council_and_unknown_community(world):
    district_page = client_for(None).get(url("council", world.district.pk))
    assert district_page.status_code == 200
    assert "no residents' council yet" in html_of(district_page)
    assert client_for(None).get("/council/99999999/").status_code == 404
    assert client_for(None).get("/council/99999999999999999999999/").status_code == 404


def _grow(world, n, *, start=0):
    """n more published proposals, some voting, with comments, replies, votes and photos."""
    for i in range(start, start + n):
        status = ("discussion", "voting", "accepted")[i % 3]
        p = make_proposal(world, title=f"垃圾问题{i}", status=status)
        top = Comment.objects.create(proposal=p, author=world.resident2, body=f"评论{i}")
        Comment.objects.create(proposal=p, author=world.resident3, body="回复", parent=top)
        Vote.objects.create(proposal=p, voter=world.resident2, choice="support")
        Vote.objects.create(proposal=p, voter=world.resident3, choice="oppose")
        ProposalPhoto.objects.create(proposal=p, image=png_file(f"p{i}.png"))
        if status == "accepted":
            p.final_support, p.final_oppose, p.final_abstain = 2, 1, 0
            p.save()


@pytest.mark.parametrize("who", ["anonymous", "resident", "staff"])
def test_council_page_queries_do_not_grow_with_proposals(world, who, django_assert_max_num_queries):
    user = {"anonymous": None, "resident": world.resident, "staff": world.staff}[who]
    client = client_for(user)
    path = url("council", world.yuling.pk)
    _grow(world, 3)
    baseline = queries_for(client, path)
    _grow(world, 15, start=3)
    with django_assert_max_num_queries(baseline):
        response = client.get(path)
    assert html_of(response).count("proposal-item") == 18
    with django_assert_max_num_queries(baseline):
        client.get(path, {"q": "垃圾", "status": "voting"})


def test_council_index_and_community_page_link(world):
    page = html_of(client_for(None).get(url("index")))
    assert "玉岭社区居民议事会" in page
    assert url("council", world.yuling.pk) in page
    community = html_of(client_for(None).get(world.yuling.get_absolute_url()))
    assert url("council", world.yuling.pk) in community


# --- the proposal page: who sees it ------------------------------------------------------------


def test_proposal_page_visibility_by_role(world):
    published = make_proposal(world, status="discussion")
    draft = make_proposal(world, title="我的草稿", status="draft")
    hidden = make_proposal(world, title="隐藏的", status="discussion", hidden=True)

    anon = client_for(None)
    assert anon.get(published.get_absolute_url()).status_code == 200
    for proposal in (draft, hidden):
        assert anon.get(proposal.get_absolute_url()).status_code == 404
        assert client_for(world.resident2).get(proposal.get_absolute_url()).status_code == 404
        assert client_for(world.other_staff).get(proposal.get_absolute_url()).status_code == 404
        assert client_for(world.resident).get(proposal.get_absolute_url()).status_code == 200
        assert client_for(world.staff).get(proposal.get_absolute_url()).status_code == 200
        assert client_for(world.street_staff).get(proposal.get_absolute_url()).status_code == 200

    staff_page = html_of(client_for(world.staff).get(hidden.get_absolute_url()))
    assert (
        "Hidden by staff: 测试隐藏" in staff_page or "Hidden automatically: 测试隐藏" in staff_page
    )
    assert anon.get("/council/proposals/0/").status_code == 404
    assert anon.get("/council/proposals/99999999999999999999999/").status_code == 404


def test_proposal_page_shows_photos_body_location_and_controls_by_role(world):
    proposal = make_proposal(world, status="submitted", body="第一行\n第二行")
    ProposalPhoto.objects.create(proposal=proposal, image=png_file())

    author = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert "第一行<br>第二行" in author
    assert "东门垃圾分类点" in author
    assert "photo-grid" in author
    assert url("proposal_edit", proposal.pk) in author
    assert url("proposal_withdraw", proposal.pk) in author
    assert url("proposal_publish", proposal.pk) not in author

    staff = html_of(client_for(world.staff).get(proposal.get_absolute_url()))
    assert url("proposal_publish", proposal.pk) in staff
    assert url("proposal_return", proposal.pk) in staff
    assert url("proposal_hide", proposal.pk) in staff
    assert url("proposal_edit", proposal.pk) not in staff

    services.publish_proposal(actor=world.staff, proposal=proposal)
    anon = html_of(client_for(None).get(proposal.get_absolute_url()))
    assert "Sign in to take part" in anon
    assert url("proposal_publish", proposal.pk) not in anon
    assert f'data-live-topic="proposal:{proposal.pk}"' in anon
    resident2 = html_of(client_for(world.resident2).get(proposal.get_absolute_url()))
    assert url("proposal_comment", proposal.pk) in resident2
    assert url("proposal_report", proposal.pk) in resident2
    assert url("proposal_follow", proposal.pk) in resident2
    assert url("proposal_vote", proposal.pk) not in resident2  # not voting yet
    staff = html_of(client_for(world.staff).get(proposal.get_absolute_url()))
    assert url("proposal_open_voting", proposal.pk) in staff
    assert url("proposal_decide", proposal.pk) not in staff


def test_proposal_page_queries_do_not_grow_with_comments(world, django_assert_max_num_queries):
    proposal = make_proposal(world, status="voting")
    ProposalPhoto.objects.create(proposal=proposal, image=png_file())

    def add(n):
        for i in range(n):
            top = Comment.objects.create(proposal=proposal, author=world.resident2, body=f"c{i}")
            Comment.objects.create(proposal=proposal, author=world.resident3, body="r", parent=top)
            Comment.objects.create(
                proposal=proposal, author=world.rep, body="h", parent=top, hidden=True
            )

    for user in (None, world.resident, world.staff):
        client = client_for(user)
        add(2)
        baseline = queries_for(client, proposal.get_absolute_url())
        add(20)
        with django_assert_max_num_queries(baseline):
            assert client.get(proposal.get_absolute_url()).status_code == 200


# --- proposing and editing ---------------------------------------------------------------------


def test_new_proposal_form_access(world):
    path = url("proposal_create", world.yuling.pk)
    response = client_for(None).get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(world.pending).get(path).status_code == 403
    assert client_for(world.outsider).get(path).status_code == 403
    assert client_for(world.resident).get(path).status_code == 200
    assert client_for(world.staff).get(path).status_code == 200
    # a community without council
    assert client_for(world.staff).get(url("proposal_create", world.street.pk)).status_code == 404
    # the pending member cannot post either
    response = client_for(world.pending).post(
        path, {"title": "t", "body": "b", "category": "other"}
    )
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_new_proposal_posts_through_the_service_with_photos(world):
    client = client_for(world.resident)
    response = client.post(
        url("proposal_create", world.yuling.pk),
        {
            "title": "东门垃圾分类点垃圾无人清运",
            "body": "桶满了三天。",
            "category": "sanitation",
            "location": "东门",
            "photos": [png_file("a.png"), png_file("b.png")],
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == proposal.get_absolute_url()
    assert proposal.status == "submitted"
    assert proposal.author == world.resident
    assert proposal.photos.count() == 2
    assert Follow.objects.filter(user=world.resident, proposal=proposal).exists()

    response = client.post(
        url("proposal_create", world.yuling.pk),
        {"title": "草稿", "body": "还没想好", "category": "other", "save_draft": "1"},
    )
    assert Proposal.objects.get(title="草稿").status == "draft"


def test_new_proposal_errors_are_shown_on_the_form(world):
    client = client_for(world.resident)
    path = url("proposal_create", world.yuling.pk)
    response = client.post(path, {"title": "", "body": "x", "category": "other"})
    assert response.status_code == 400
    assert 'id="id_title_error"' in html_of(response)

    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = client.post(path, {"title": "t", "body": "b", "category": "other", "photos": [bad]})
    assert response.status_code == 400
    assert "Upload a JPEG, PNG or WebP photo." in html_of(response)
    assert 'id="id_photos_error"' in html_of(response)

    files = [png_file(f"{i}.png") for i in range(5)]
    response = client.post(path, {"title": "t", "body": "b", "category": "other", "photos": files})
    assert response.status_code == 400
    assert "Add at most 4 photos." in html_of(response)

    # NUL and other control characters are refused by the service, as a field error
    response = client.post(path, {"title": "a\x01b", "body": "b", "category": "other"})
    assert response.status_code == 400
    assert not Proposal.objects.exists()


def test_rate_limited_proposals_get_a_clear_message(world, settings):
    settings.DELIBERATION_RATE_LIMITS = {"proposal": (1, 3600)}
    client = client_for(world.resident)
    path = url("proposal_create", world.yuling.pk)
    data = {"title": "t", "body": "b", "category": "other"}
    assert client.post(path, data).status_code == 302
    response = client.post(path, data)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "You are doing this too often" in html_of(response)
    assert Proposal.objects.count() == 1


def test_author_edits_while_submitted_and_not_after_publishing(world):
    proposal = make_proposal(world, status="submitted")
    photo = ProposalPhoto.objects.create(proposal=proposal, image=png_file())
    path = url("proposal_edit", proposal.pk)
    assert client_for(world.resident2).get(path).status_code == 404  # cannot even see it
    assert client_for(world.staff).get(path).status_code == 403
    client = client_for(world.resident)
    assert client.get(path).status_code == 200
    response = client.post(
        path,
        {
            "title": "新标题",
            "body": "新内容",
            "category": "greenery",
            "location": "",
            "remove_photos": [str(photo.pk)],
            "photos": [png_file("new.png")],
        },
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.title, proposal.body, proposal.category) == ("新标题", "新内容", "greenery")
    assert list(proposal.photos.values_list("pk", flat=True)) != [photo.pk]
    assert proposal.photos.count() == 1

    services.publish_proposal(actor=world.staff, proposal=proposal)
    assert client.get(path).status_code == 403
    response = client.post(path, {"title": "x", "body": "y", "category": "other"})
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.title == "新标题"


def test_author_submits_a_draft_and_withdraws(world):
    proposal = make_proposal(world, status="draft")
    assert client_for(world.staff).post(url("proposal_submit", proposal.pk)).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "draft"  # staff cannot submit it for the author

    response = client_for(world.resident).post(url("proposal_submit", proposal.pk))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "submitted"

    response = client_for(world.resident).post(
        url("proposal_withdraw", proposal.pk), {"withdraw-reason": "已自行解决"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"
    assert proposal.withdraw_reason == "已自行解决"


def test_withdraw_refused_once_voting(world):
    proposal = make_proposal(world, status="voting")
    response = client_for(world.resident).post(url("proposal_withdraw", proposal.pk))
    assert response.status_code == 302
    assert "A proposal can be withdrawn only before the vote opens." in messages_of(response)
    proposal.refresh_from_db()
    assert proposal.status == "voting"


def test_my_proposals(world):
    mine = make_proposal(world, title="我的提案", status="draft")
    theirs = make_proposal(world, title="别人的提案", author=world.resident2, status="discussion")
    Follow.objects.create(user=world.resident, proposal=theirs)
    assert client_for(None).get(url("my_proposals")).status_code == 302
    page = html_of(client_for(world.resident).get(url("my_proposals")))
    assert mine.title in page
    assert theirs.title in page  # followed
    other = html_of(client_for(world.resident3).get(url("my_proposals")))
    assert mine.title not in other


# --- staff transitions -------------------------------------------------------------------------


def test_staff_publish_and_residents_cannot(world, on_commit):
    proposal = make_proposal(world, status="submitted")
    response = client_for(world.resident).post(url("proposal_publish", proposal.pk))
    assert response.status_code == 302
    assert "Only community staff can publish proposals." in messages_of(response)
    assert client_for(world.resident2).post(url("proposal_publish", proposal.pk)).status_code == 404
    assert client_for(None).post(url("proposal_publish", proposal.pk)).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "submitted"

    with on_commit():
        response = client_for(world.staff).post(url("proposal_publish", proposal.pk))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "discussion"
    assert client_for(None).get(proposal.get_absolute_url()).status_code == 200


def test_staff_return_needs_a_reason(world):
    proposal = make_proposal(world, status="submitted")
    client = client_for(world.staff)
    response = client.post(url("proposal_return", proposal.pk), {"return-reason": ""})
    assert response.status_code == 400
    assert 'id="id_return-reason_error"' in html_of(response)
    response = client.post(url("proposal_return", proposal.pk), {"return-reason": "请补充位置"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "draft"
    page = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert "Returned by staff: 请补充位置" in page


def test_staff_hide_and_restore_a_proposal(world, on_commit):
    proposal = make_proposal(world, status="discussion")
    client = client_for(world.staff)
    response = client_for(world.resident2).post(
        url("proposal_hide", proposal.pk), {"hide-reason": "x"}
    )
    assert response.status_code == 403
    assert "Only community staff can hide proposals." in html_of(response)
    proposal.refresh_from_db()
    assert not proposal.hidden

    with on_commit():
        client.post(url("proposal_hide", proposal.pk), {"hide-reason": "含有个人电话"})
    proposal.refresh_from_db()
    assert proposal.hidden and proposal.hidden_reason == "含有个人电话"
    assert client_for(world.resident2).get(proposal.get_absolute_url()).status_code == 404
    assert proposal.title not in html_of(
        client_for(world.resident2).get(url("council", world.yuling.pk))
    )
    assert "Hidden by staff: 含有个人电话" in html_of(client.get(proposal.get_absolute_url()))

    with on_commit():
        client.post(url("proposal_restore", proposal.pk), {"restore-reason": ""})
    proposal.refresh_from_db()
    assert not proposal.hidden
    assert client_for(world.resident2).get(proposal.get_absolute_url()).status_code == 200


def test_open_vote_with_closing_time_then_decide_accepts_and_shows_task(world, on_commit):
    proposal = make_proposal(world, status="discussion")
    staff = client_for(world.staff)
    closes = timezone.localtime(timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)

    # residents cannot open it
    client_for(world.resident).post(url("proposal_open_voting", proposal.pk))
    proposal.refresh_from_db()
    assert proposal.status == "discussion"

    # a closing time in the past is a form error
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = staff.post(url("proposal_open_voting", proposal.pk), {"voting-closes_at": past})
    assert response.status_code == 400
    assert "The closing time must be in the future." in html_of(response)

    with on_commit():
        response = staff.post(
            url("proposal_open_voting", proposal.pk),
            {"voting-closes_at": closes.strftime("%Y-%m-%dT%H:%M")},
        )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "voting"
    assert proposal.voting_closes_at == closes

    for user, choice in [
        (world.resident, "support"),
        (world.resident2, "support"),
        (world.resident3, "oppose"),
    ]:
        with on_commit():
            response = client_for(user).post(url("proposal_vote", proposal.pk), {"choice": choice})
        assert response.status_code == 302
        assert response["Location"].endswith("#vote")

    page = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert 'data-live-field="support" id="tally-support">2<' in page
    assert "left" in page  # time left

    # residents cannot decide
    client_for(world.resident).post(url("proposal_decide", proposal.pk))
    proposal.refresh_from_db()
    assert proposal.status == "voting"

    with on_commit():
        response = staff.post(
            url("proposal_decide", proposal.pk),
            {"decision-outcome": "由环境志愿服务队清运", "decision-confirm_early": "on"},
        )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    task = Task.objects.get()
    assert proposal.task == task
    page = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert "由环境志愿服务队清运" in page
    assert f'data-live-topic="task:{task.pk}"' in page
    assert task.get_absolute_url() in page
    assert "No team has taken it on yet." in page
    assert url("proposal_vote", proposal.pk) not in page

    # deciding twice: a clear message, still one task
    response = staff.post(url("proposal_decide", proposal.pk), {})
    assert "Only a proposal being voted on can be decided." in messages_of(response)
    assert Task.objects.count() == 1


def test_vote_and_change_vote_one_row(world, on_commit):
    proposal = make_proposal(world, status="voting")
    client = client_for(world.resident2)
    page = html_of(client.get(proposal.get_absolute_url()))
    assert 'name="choice" value="support"' in page
    assert 'aria-pressed="true"' not in page

    with on_commit():
        client.post(url("proposal_vote", proposal.pk), {"choice": "support"})
    page = html_of(client.get(proposal.get_absolute_url()))
    assert "Your vote: Support" in page
    assert 'vote-button vote-support is-current" aria-pressed="true"' in page

    with on_commit():
        response = client.post(url("proposal_vote", proposal.pk), {"choice": "oppose"})
    assert "Your vote was recorded: Oppose." in " ".join(messages_of(response))
    assert Vote.objects.filter(proposal=proposal, voter=world.resident2).count() == 1
    assert Vote.objects.get(proposal=proposal, voter=world.resident2).choice == "oppose"

    # junk choice: a form error, no row change
    response = client.post(url("proposal_vote", proposal.pk), {"choice": "maybe"})
    assert response.status_code == 400
    assert Vote.objects.get(proposal=proposal, voter=world.resident2).choice == "oppose"


def test_vote_refused_for_ineligible_people_and_after_the_close(world, on_commit):
    proposal = make_proposal(world, status="voting")
    for user in (world.pending, world.outsider, world.staff):
        page = html_of(client_for(user).get(proposal.get_absolute_url()))
        assert url("proposal_vote", proposal.pk) not in page
        response = client_for(user).post(url("proposal_vote", proposal.pk), {"choice": "support"})
        assert response.status_code == 302
        assert "You are not an eligible voter of this council." in messages_of(response)
    assert not Vote.objects.exists()

    Proposal.objects.filter(pk=proposal.pk).update(
        voting_closes_at=timezone.now() - timedelta(seconds=1),
        voting_opens_at=timezone.now() - timedelta(days=1),
    )
    response = client_for(world.resident).post(
        url("proposal_vote", proposal.pk), {"choice": "support"}
    )
    assert "Voting is not open." in messages_of(response)
    assert not Vote.objects.exists()
    page = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert "Voting time is over" in page


def test_tally_hidden_until_the_close_when_the_council_says_so(world, on_commit):
    world.council.hide_tally = True
    world.council.save()
    proposal = make_proposal(world, status="voting")
    with on_commit():
        services.cast_vote(actor=world.resident2, proposal=proposal, choice="support")
    page = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert "keeps the tally hidden" in page
    assert 'id="tally-support"' not in page
    listing = html_of(client_for(world.resident).get(url("council", world.yuling.pk)))
    assert "1 support" not in listing
    staff_page = html_of(client_for(world.staff).get(proposal.get_absolute_url()))
    assert 'id="tally-support">1<' in staff_page
    with on_commit():
        services.decide_proposal(actor=world.staff, proposal=proposal)
    page = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert 'id="tally-support">1<' in page


def test_staff_record_an_assisted_vote(world, on_commit):
    proposal = make_proposal(world, status="voting")
    staff = client_for(world.staff)
    page = html_of(staff.get(proposal.get_absolute_url()))
    assert url("proposal_assisted_vote", proposal.pk) in page
    assert "居民丙" in page  # the eligible voters to choose from
    assert "社工" not in page.split('id="id_assisted-voter"')[1].split("</select>")[0]

    with on_commit():
        response = staff.post(
            url("proposal_assisted_vote", proposal.pk),
            {"assisted-voter": world.resident3.pk, "assisted-choice": "abstain"},
        )
    assert response.status_code == 302
    vote = Vote.objects.get(proposal=proposal, voter=world.resident3)
    assert vote.assisted and vote.recorded_by == world.staff and vote.choice == "abstain"
    page = html_of(client_for(world.resident3).get(proposal.get_absolute_url()))
    assert "(recorded for you by staff)" in page

    # someone who is not an eligible voter cannot be chosen; residents cannot record for others
    response = staff.post(
        url("proposal_assisted_vote", proposal.pk),
        {"assisted-voter": world.outsider.pk, "assisted-choice": "support"},
    )
    assert response.status_code == 400
    response = client_for(world.resident).post(
        url("proposal_assisted_vote", proposal.pk),
        {"assisted-voter": world.resident2.pk, "assisted-choice": "support"},
    )
    assert response.status_code == 403
    assert "Staff can record votes only for eligible residents." in html_of(response)
    assert not Vote.objects.filter(voter=world.resident2).exists()


# --- discussion --------------------------------------------------------------------------------


def test_comment_and_reply_through_the_service(world, on_commit):
    proposal = make_proposal(world, status="discussion")
    client = client_for(world.resident2)
    with on_commit():
        response = client.post(url("proposal_comment", proposal.pk), {"body": "同意"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert comment.author == world.resident2 and comment.parent is None

    with on_commit():
        client_for(world.resident3).post(
            url("proposal_comment", proposal.pk), {"body": "我也同意", "parent": comment.pk}
        )
    reply = Comment.objects.get(body="我也同意")
    assert reply.parent == comment
    # a reply to a reply joins the thread (one level)
    with on_commit():
        client_for(world.resident).post(
            url("proposal_comment", proposal.pk), {"body": "谢谢", "parent": reply.pk}
        )
    assert Comment.objects.get(body="谢谢").parent == comment

    page = html_of(client_for(None).get(proposal.get_absolute_url()))
    assert page.index("同意") < page.index("我也同意") < page.index("谢谢")
    assert 'class="replies plain-list"' in page
    assert '<span class="muted">(3)</span>' in page  # comments and replies counted

    # empty comment: form error, kept on the page
    response = client.post(url("proposal_comment", proposal.pk), {"body": "  "})
    assert response.status_code == 400
    # a reply to a comment of another proposal
    other = make_proposal(world, status="discussion", title="另一个")
    response = client.post(
        url("proposal_comment", other.pk), {"body": "串了", "parent": comment.pk}
    )
    assert response.status_code == 400
    assert "Reply to a comment of this proposal." in html_of(response)
    assert not Comment.objects.filter(body="串了").exists()


def test_comment_refused_for_non_members_and_on_drafts(world):
    proposal = make_proposal(world, status="discussion")
    for user in (world.pending, world.outsider):
        page = html_of(client_for(user).get(proposal.get_absolute_url()))
        assert 'name="body"' not in page
        response = client_for(user).post(url("proposal_comment", proposal.pk), {"body": "x"})
        assert response.status_code == 403
        assert "Only verified residents of this community can comment." in html_of(response)
    assert (
        client_for(None).post(url("proposal_comment", proposal.pk), {"body": "x"}).status_code
        == 302
    )
    assert not Comment.objects.exists()


def test_comment_rate_limit_keeps_the_text(world, settings):
    settings.DELIBERATION_RATE_LIMITS = {"comment": (1, 600)}
    proposal = make_proposal(world, status="discussion")
    client = client_for(world.resident2)
    client.post(url("proposal_comment", proposal.pk), {"body": "第一条"})
    response = client.post(url("proposal_comment", proposal.pk), {"body": "第二条很长的意见"})
    assert response.status_code == 429
    assert response["Retry-After"]
    page = html_of(response)
    assert "You are doing this too often" in page
    assert "第二条很长的意见</textarea>" in page
    assert Comment.objects.count() == 1


def test_report_and_hide_comments(world, on_commit):
    proposal = make_proposal(world, status="discussion")
    bad = Comment.objects.create(proposal=proposal, author=world.resident3, body="广告：办证")
    reply = Comment.objects.create(
        proposal=proposal, author=world.resident2, body="楼上是广告", parent=bad
    )

    # the author cannot report their own; others can, once
    page = html_of(client_for(world.resident3).get(proposal.get_absolute_url()))
    assert url("comment_report", bad.pk) not in page
    page = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert url("comment_report", bad.pk) in page
    response = client_for(world.resident).post(url("comment_report", bad.pk), {"reason": "广告"})
    assert response["Location"].endswith(f"#comment-{bad.pk}")
    assert "Thank you." in " ".join(messages_of(response))
    response = client_for(world.resident).post(url("comment_report", bad.pk), {"reason": "广告"})
    assert "You have already reported this comment." in messages_of(response)
    assert Report.objects.filter(comment=bad).count() == 1

    # residents cannot hide
    client_for(world.resident).post(url("comment_hide", bad.pk), {"reason": "x"})
    bad.refresh_from_db()
    assert not bad.hidden
    # staff hide with a reason (a reason is required)
    response = client_for(world.staff).post(url("comment_hide", bad.pk), {"reason": ""})
    bad.refresh_from_db()
    assert not bad.hidden
    with on_commit():
        client_for(world.staff).post(url("comment_hide", bad.pk), {"reason": "广告内容"})
    bad.refresh_from_db()
    assert bad.hidden and bad.hidden_reason == "广告内容"

    for user in (None, world.resident, world.resident2):
        page = html_of(client_for(user).get(proposal.get_absolute_url()))
        assert "广告：办证" not in page
        assert "广告内容" not in page
        assert "楼上是广告" not in page  # its thread goes with it
    staff_page = html_of(client_for(world.staff).get(proposal.get_absolute_url()))
    assert "Hidden by staff: 广告内容" in staff_page
    assert "广告：办证" in staff_page and reply.body in staff_page
    own = html_of(client_for(world.resident3).get(proposal.get_absolute_url()))
    assert "Your comment is hidden" in own

    # a hidden comment cannot be replied to or reported by others (404)
    response = client_for(world.resident).post(url("comment_report", bad.pk), {"reason": "x"})
    assert response.status_code == 404

    with on_commit():
        client_for(world.staff).post(url("comment_restore", bad.pk), {"reason": "误判"})
    bad.refresh_from_db()
    assert not bad.hidden
    assert "广告：办证" in html_of(client_for(None).get(proposal.get_absolute_url()))


def test_three_reports_hide_a_comment_until_staff_review(world, on_commit):
    proposal = make_proposal(world, status="discussion")
    comment = Comment.objects.create(proposal=proposal, author=world.resident, body="骂人的话")
    for user in (world.resident2, world.resident3, world.rep):
        with on_commit():
            client_for(user).post(url("comment_report", comment.pk), {"reason": ""})
    comment.refresh_from_db()
    assert comment.hidden
    assert "骂人的话" not in html_of(client_for(world.resident2).get(proposal.get_absolute_url()))
    assert "Hidden automatically" in html_of(
        client_for(world.staff).get(proposal.get_absolute_url())
    )


def test_report_proposal_and_follow(world, on_commit):
    proposal = make_proposal(world, status="discussion")
    client = client_for(world.resident2)
    response = client.post(url("proposal_report", proposal.pk), {"report-reason": "重复"})
    assert response.status_code == 302
    assert Report.objects.filter(proposal=proposal, reporter=world.resident2).exists()
    author_page = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert url("proposal_report", proposal.pk) not in author_page

    client.post(url("proposal_follow", proposal.pk))
    assert Follow.objects.filter(user=world.resident2, proposal=proposal).exists()
    page = html_of(client.get(proposal.get_absolute_url()))
    assert url("proposal_unfollow", proposal.pk) in page
    client.post(url("proposal_unfollow", proposal.pk))
    assert not Follow.objects.filter(user=world.resident2, proposal=proposal).exists()


def test_get_on_action_urls_is_refused(world):
    proposal = make_proposal(world, status="discussion")
    client = client_for(world.staff)
    for name in ("proposal_publish", "proposal_vote", "proposal_comment", "proposal_decide"):
        assert client.get(url(name, proposal.pk)).status_code == 405


def test_forms_need_the_csrf_token(world):
    proposal = make_proposal(world, status="discussion")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.resident2)
    response = client.post(url("proposal_comment", proposal.pk), {"body": "x"})
    assert response.status_code == 403
    assert not Comment.objects.exists()
    page = html_of(client.get(proposal.get_absolute_url()))
    assert page.count("csrfmiddlewaretoken") >= 3


# --- escaping ----------------------------------------------------------------------------------


def test_script_typed_anywhere_comes_back_escaped(world, on_commit):
    resident = client_for(world.resident)
    resident.post(
        url("proposal_create", world.yuling.pk),
        {"title": XSS, "body": XSS + "\n第二行", "category": "other", "location": XSS},
    )
    proposal = Proposal.objects.get()
    with on_commit():
        services.publish_proposal(actor=world.staff, proposal=proposal)
    client_for(world.resident2).post(url("proposal_comment", proposal.pk), {"body": XSS})
    comment = Comment.objects.get()
    client_for(world.resident3).post(
        url("proposal_comment", proposal.pk), {"body": XSS, "parent": comment.pk}
    )
    with on_commit():
        services.open_voting(actor=world.staff, proposal=proposal)
        services.decide_proposal(actor=world.staff, proposal=proposal, outcome=XSS)
    services.hide_comment(actor=world.staff, comment=comment, reason=XSS)
    meeting = services.schedule_meeting(
        actor=world.staff,
        council=world.council,
        starts_at=timezone.now() + timedelta(days=1),
        place=XSS,
        title=XSS,
        agenda=[proposal],
    )
    services.record_minutes(actor=world.staff, meeting=meeting, minutes=XSS)
    services.record_attendance(actor=world.staff, meeting=meeting, other_attendees=XSS)
    services.record_decision(actor=world.staff, meeting=meeting, proposal=proposal, decision=XSS)

    pages = [
        client_for(world.staff).get(proposal.get_absolute_url()),
        client_for(None).get(proposal.get_absolute_url()),
        client_for(None).get(url("council", world.yuling.pk)),
        client_for(None).get(url("council", world.yuling.pk), {"q": XSS}),
        client_for(world.resident).get(url("my_proposals")),
        client_for(world.staff).get(meeting.get_absolute_url()),
        client_for(None).get(url("meeting_list", world.yuling.pk)),
    ]
    for response in pages:
        assert response.status_code == 200
        page = html_of(response)
        assert "<script>alert" not in page
        assert "<img src=x" not in page
    staff_page = html_of(pages[0])
    assert XSS_ESCAPED in staff_page
    assert "onerror=alert(1)&gt;<br>第二行" in staff_page  # escaped before the line breaks
    assert "Hidden by staff: " + XSS_ESCAPED in staff_page
    assert XSS_ESCAPED in html_of(pages[5])


# --- meetings ----------------------------------------------------------------------------------


def test_meeting_pages_and_staff_forms(world):
    published = make_proposal(world, title="公开的提案", status="accepted")
    hidden = make_proposal(world, title="隐藏的提案", status="discussion", hidden=True)
    staff = client_for(world.staff)

    create = url("meeting_create", world.yuling.pk)
    assert client_for(None).get(create).status_code == 302
    assert client_for(world.resident).get(create).status_code == 403
    assert client_for(world.other_staff).get(create).status_code == 403
    page = html_of(staff.get(create))
    assert published.title in page and hidden.title in page

    starts = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = staff.post(
        create,
        {
            "title": "三月议事会",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "place": "社区活动室",
            "agenda": [published.pk, hidden.pk],
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == meeting.get_absolute_url()
    assert meeting.starts_at == starts
    assert set(meeting.items.values_list("proposal_id", flat=True)) == {published.pk, hidden.pk}
    assert staff.post(create, {"title": "x", "place": ""}).status_code == 400

    listing = html_of(client_for(None).get(url("meeting_list", world.yuling.pk)))
    assert "三月议事会" in listing and "社区活动室" in listing

    # residents read the page, without the hidden agenda item and without staff forms
    page = html_of(client_for(world.resident2).get(meeting.get_absolute_url()))
    assert published.title in page and hidden.title not in page
    assert url("meeting_minutes", meeting.pk) not in page
    staff_page = html_of(staff.get(meeting.get_absolute_url()))
    assert hidden.title in staff_page
    assert url("meeting_minutes", meeting.pk) in staff_page

    response = staff.post(
        url("meeting_attendance", meeting.pk),
        {
            "attendance-attendees": [world.resident.pk, world.rep.pk],
            "attendance-other_attendees": "王大爷\n李阿姨",
            "attendance-attendance_count": "",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.attendance_count == 4
    assert set(meeting.attendees.all()) == {world.resident, world.rep}

    staff.post(
        url("meeting_minutes", meeting.pk),
        {"minutes-minutes": "会议讨论了垃圾清运问题。", "minutes-held": "on"},
    )
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.minutes == "会议讨论了垃圾清运问题。"

    staff.post(
        url("meeting_decision", meeting.pk),
        {"proposal": published.pk, "decision": "交环境志愿服务队每周清运两次"},
    )
    assert AgendaItem.objects.get(meeting=meeting, proposal=published).decision == (
        "交环境志愿服务队每周清运两次"
    )
    response = staff.post(
        url("meeting_decision", meeting.pk), {"proposal": 10**12, "decision": "x"}
    )
    assert response.status_code == 400

    page = html_of(client_for(None).get(meeting.get_absolute_url()))
    for text in (
        "会议讨论了垃圾清运问题。",
        "交环境志愿服务队每周清运两次",
        "王大爷",
        "居民甲",
        "4 people present",
    ):
        assert text in page

    # residents cannot record anything
    response = client_for(world.resident).post(
        url("meeting_minutes", meeting.pk), {"minutes-minutes": "篡改"}
    )
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.minutes == "会议讨论了垃圾清运问题。"
    assert client_for(None).get("/council/meetings/999999/").status_code == 404


def test_meeting_list_queries_do_not_grow(world, django_assert_max_num_queries):
    proposal = make_proposal(world, status="accepted")

    def add(n):
        for i in range(n):
            services.schedule_meeting(
                actor=world.staff,
                council=world.council,
                starts_at=timezone.now() + timedelta(days=i + 1),
                place=f"活动室{i}",
                agenda=[proposal],
            )

    client = client_for(world.resident)
    add(2)
    baseline = queries_for(client, url("meeting_list", world.yuling.pk))
    add(12)
    with django_assert_max_num_queries(baseline):
        client.get(url("meeting_list", world.yuling.pk))


def test_pending_member_sees_but_cannot_act(world):
    proposal = make_proposal(world, status="voting")
    page = html_of(client_for(world.pending).get(proposal.get_absolute_url()))
    assert "Only verified residents of this community vote." in page
    assert url("proposal_vote", proposal.pk) not in page


def test_representatives_only_council_explains_who_votes(world):
    world.council.voters = "representatives"
    world.council.save()
    proposal = make_proposal(world, status="voting")
    page = html_of(client_for(world.resident).get(proposal.get_absolute_url()))
    assert "only the residents' representatives vote" in page
    page = html_of(client_for(world.rep).get(proposal.get_absolute_url()))
    assert url("proposal_vote", proposal.pk) in page


def test_new_member_unknown_to_fixture_can_propose(world):
    newcomer = member(make_user("new@example.com"), world.yuling)
    assert client_for(newcomer).get(url("proposal_create", world.yuling.pk)).status_code == 200


def test_my_proposals_queries_do_not_grow(world, django_assert_max_num_queries):
    client = client_for(world.resident)

    def add(n):
        for i in range(n):
            status = ("draft", "voting", "accepted")[i % 3]
            mine = make_proposal(world, title=f"我的{i}", status=status)
            Comment.objects.create(proposal=mine, author=world.resident2, body="c")
            theirs = make_proposal(world, title=f"关注{i}", author=world.resident2)
            Follow.objects.create(user=world.resident, proposal=theirs)

    add(2)
    baseline = queries_for(client, url("my_proposals"))
    add(12)
    with django_assert_max_num_queries(baseline):
        client.get(url("my_proposals"))


def test_junk_input_never_breaks_a_page(world):
    proposal = make_proposal(world, status="voting")
    meeting = services.schedule_meeting(
        actor=world.staff,
        council=world.council,
        starts_at=timezone.now() + timedelta(days=1),
        place="活动室",
        agenda=[proposal],
    )
    huge = str(10**30)
    anon = client_for(None)
    for query in ({"q": "垃" * 500}, {"status": "<x>"}):
        assert anon.get(url("council", world.yuling.pk), query).status_code == 200
    for query in ({"q": "\x00"}, {"page": "\x00"}):  # control characters: core/inputs.py
        assert anon.get(url("council", world.yuling.pk), query).status_code == 400
    assert anon.get(proposal.get_absolute_url(), {"comments": "-1"}).status_code == 200

    staff = client_for(world.staff)
    posts = [
        (url("proposal_assisted_vote", proposal.pk), {"assisted-voter": huge}),
        (url("proposal_assisted_vote", proposal.pk), {"assisted-voter": "x"}),
        (url("proposal_vote", proposal.pk), {"choice": "\x00"}),
        (url("proposal_decide", proposal.pk), {"decision-outcome": "a\x00b"}),
        (url("proposal_comment", proposal.pk), {"body": "x", "parent": huge}),
        (url("proposal_comment", proposal.pk), {"body": "x", "parent": "abc"}),
        (url("meeting_attendance", meeting.pk), {"attendance-attendees": [huge, "x"]}),
        (url("meeting_decision", meeting.pk), {"proposal": huge, "decision": "x"}),
        (url("meeting_create", world.yuling.pk), {"agenda": [huge], "starts_at": "x"}),
    ]
    for path, data in posts:
        response = staff.post(path, data)
        assert response.status_code in (302, 400, 404), (path, data, response.status_code)
    proposal.refresh_from_db()
    assert proposal.status == "voting"
    assert not Vote.objects.exists()
