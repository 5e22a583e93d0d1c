"""The "Council" admin: proposals, moderation queue, meetings, council rules (staff-scoped)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.services import sync_staff_access
from deliberation import services
from deliberation.models import Council, Meeting, Proposal

from .conftest import client_for, make_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_world(world):
    for user in (world.staff, world.street_staff, world.other_staff):
        sync_staff_access(user)
    return world


def test_proposal_index_is_scoped_to_staffed_communities(admin_world):
    w = admin_world
    mine = make_proposal(w, status="submitted", title="玉岭社区的提议")
    from deliberation.models import Proposal as P

    theirs = P.objects.create(
        council=w.other_council, author=w.outsider, title="白云社区的提议", body="b"
    )
    url = reverse("council_proposal:index")
    html = client_for(w.staff).get(url).content.decode()
    assert mine.title in html and theirs.title not in html
    html = client_for(w.other_staff).get(url).content.decode()
    assert theirs.title in html and mine.title not in html
    html = client_for(w.superuser).get(url).content.decode()
    assert mine.title in html and theirs.title in html
    # filters
    response = client_for(w.staff).get(url, {"status": "voting"})
    assert response.status_code == 200
    assert mine.title not in response.content.decode()
    # a resident has no admin
    assert client_for(w.resident).get(url).status_code in (302, 403)
    # another community's staff cannot open it
    edit = reverse("council_proposal:edit", args=[mine.pk])
    assert client_for(w.other_staff).get(edit).status_code == 404


def test_publish_then_open_vote_then_decide_from_the_admin(admin_world):
    w = admin_world
    proposal = make_proposal(w, status="submitted")
    url = reverse("council_proposal:edit", args=[proposal.pk])
    staff = client_for(w.staff)
    page = staff.get(url)
    assert page.status_code == 200
    assert proposal.body in page.content.decode()

    assert staff.post(url, {"action": "publish"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "discussion"

    closes = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    assert staff.post(url, {"action": "open_voting", "closes_at": closes}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "voting"

    response = staff.post(
        url, {"action": "assisted_vote", "voter": w.resident3.pk, "choice": "support"}
    )
    assert response.status_code == 302
    assert proposal.votes.get(voter=w.resident3).assisted

    response = staff.post(url, {"action": "decide", "outcome": "票数不足", "confirm_early": "on"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "rejected"


def test_an_action_not_allowed_now_is_a_form_error(admin_world):
    w = admin_world
    proposal = make_proposal(w, status="discussion")
    url = reverse("council_proposal:edit", args=[proposal.pk])
    response = client_for(w.staff).post(url, {"action": "publish"})
    assert response.status_code == 200  # the form again, with the error
    assert Proposal.objects.get(pk=proposal.pk).status == "discussion"
    response = client_for(w.staff).post(url, {"action": "hide", "reason": ""})
    assert response.status_code == 200
    assert not Proposal.objects.get(pk=proposal.pk).hidden


def test_moderation_queue_hides_and_restores_through_services(admin_world):
    w = admin_world
    proposal = make_proposal(w, status="discussion")
    comment = services.add_comment(actor=w.resident2, proposal=proposal, body="推销广告内容")
    services.report_content(actor=w.resident, target=comment, reason="广告")
    index = client_for(w.staff).get(reverse("council_moderation:index"))
    assert index.status_code == 200
    assert "推销广告内容" in index.content.decode()
    assert (
        "推销广告内容"
        not in client_for(w.other_staff).get(reverse("council_moderation:index")).content.decode()
    )

    review = reverse("council_moderation:comment", args=[comment.pk])
    assert client_for(w.other_staff).get(review).status_code == 404
    assert client_for(w.resident).get(review).status_code in (302, 403)
    page = client_for(w.staff).get(review)
    assert page.status_code == 200 and "广告" in page.content.decode()
    response = client_for(w.staff).post(review, {"action": "hide", "reason": "商业广告"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_reason == "商业广告"
    assert comment.reports.get().status == "upheld"

    response = client_for(w.staff).post(
        reverse("council_moderation:proposal", args=[proposal.pk]),
        {"action": "hide", "reason": "重复提议"},
    )
    assert response.status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).hidden


def test_meetings_schedule_and_record(admin_world):
    w = admin_world
    proposal = make_proposal(w, status="discussion", title="电动车充电")
    staff = client_for(w.staff)
    add = reverse("council_meeting:add")
    assert staff.get(add).status_code == 200
    response = staff.post(
        add,
        {
            "council": w.council.pk,
            "title": "四月议事会",
            "starts_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
            "place": "社区活动室",
            "agenda": [proposal.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get(title="四月议事会")
    edit = reverse("council_meeting:edit", args=[meeting.pk])
    assert staff.get(edit).status_code == 200
    response = staff.post(
        edit,
        {
            "agenda": [proposal.pk],
            "attendees": [w.resident.pk, w.rep.pk],
            "other_attendees": "王阿姨",
            "attendance_count": "",
            "minutes": "讨论了充电桩。",
            "status": "held",
            f"decision_{proposal.pk}": "先调研费用",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert meeting.attendance_count == 3
    assert meeting.items.get().decision == "先调研费用"
    assert client_for(w.other_staff).get(edit).status_code == 404


def test_council_rules_edit_and_create(admin_world):
    w = admin_world
    edit = reverse("council_rules:edit", args=[w.council.pk])
    staff = client_for(w.staff)
    assert staff.get(edit).status_code == 200
    response = staff.post(
        edit,
        {
            "name": "玉岭社区居民议事会",
            "voters": "representatives",
            "quorum_kind": "share",
            "quorum_votes": 5,
            "quorum_percent": 50,
            "pass_percent": 60,
            "voting_days": 5,
            "hide_tally": "on",
        },
    )
    assert response.status_code == 302
    council = Council.objects.get(pk=w.council.pk)
    assert (council.voters, council.quorum_kind, council.pass_percent, council.hide_tally) == (
        "representatives",
        "share",
        60,
        True,
    )
    assert client_for(w.other_staff).get(edit).status_code == 404

    from communities.models import Community

    village = Community.objects.create(name="新村", kind="community", parent=w.street)
    response = client_for(w.street_staff).post(
        reverse("council_rules:add"),
        {
            "community": village.pk,
            "name": "新村议事会",
            "voters": "residents",
            "quorum_kind": "votes",
            "quorum_votes": 3,
            "quorum_percent": 0,
            "pass_percent": 50,
            "voting_days": 7,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Council.objects.filter(community=village).exists()
