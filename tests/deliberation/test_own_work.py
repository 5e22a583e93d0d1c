"""No one judges their own work (issue #22, point 7): staff do not publish, return, hide,
restore or decide a proposal they wrote or filed, nor moderate their own comment or the
debate on their own proposal, nor record a meeting's decision on it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.services import sync_staff_access
from core.errors import NotAllowed
from deliberation import permissions as perms
from deliberation import services
from deliberation.models import Comment

from .conftest import client_for, make_proposal

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _api(user, path, body=None):
    return client_for(user).post(path, body or {}, content_type=JSON)


def _own_work(call):
    with pytest.raises(NotAllowed) as info:
        call()
    assert info.value.code == "own_work"


def test_staff_do_not_review_their_own_proposal(world):
    submitted = make_proposal(world, status="submitted", author=world.staff)
    assert not perms.can_publish(world.staff, submitted)
    assert not perms.can_return(world.staff, submitted)
    _own_work(lambda: services.publish_proposal(actor=world.staff, proposal=submitted))
    _own_work(
        lambda: services.return_proposal(actor=world.staff, proposal=submitted, reason="补充")
    )
    response = _api(world.staff, f"/api/v1/proposals/{submitted.pk}/publish")
    assert response.status_code == 403 and response.json()["code"] == "own_work"
    # The page offers no publish or return button; the API says so in "permissions".
    page = client_for(world.staff).get(reverse("deliberation:proposal_detail", args=[submitted.pk]))
    html = page.content.decode()
    assert reverse("deliberation:proposal_publish", args=[submitted.pk]) not in html
    assert reverse("deliberation:proposal_return", args=[submitted.pk]) not in html
    detail = client_for(world.staff).get(f"/api/v1/proposals/{submitted.pk}").json()
    assert detail["permissions"]["publish"] is False
    # A forged POST on the page changes nothing.
    client_for(world.staff).post(reverse("deliberation:proposal_publish", args=[submitted.pk]))
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    # Another staff member (of the street above) reviews it.
    services.publish_proposal(actor=world.street_staff, proposal=submitted)


def test_staff_do_not_moderate_or_decide_their_own_proposal(world):
    discussion = make_proposal(world, status="discussion", author=world.staff)
    assert not perms.can_hide(world.staff, discussion)
    _own_work(lambda: services.hide_proposal(actor=world.staff, proposal=discussion, reason="x"))
    services.hide_proposal(actor=world.street_staff, proposal=discussion, reason="待核实")
    discussion.refresh_from_db()
    assert not perms.can_restore(world.staff, discussion)
    response = _api(world.staff, f"/api/v1/proposals/{discussion.pk}/restore")
    assert response.status_code == 403 and response.json()["code"] == "own_work"
    discussion.refresh_from_db()
    assert discussion.hidden

    voting = make_proposal(world, status="voting", author=world.staff)
    assert not perms.can_decide(world.staff, voting)
    _own_work(lambda: services.decide_proposal(actor=world.staff, proposal=voting))
    page = client_for(world.staff).get(reverse("deliberation:proposal_detail", args=[voting.pk]))
    assert reverse("deliberation:proposal_decide", args=[voting.pk]) not in page.content.decode()
    # Opening the vote is no judgement: the author on the staff still may.
    assert perms.can_open_voting(world.staff, make_proposal(world, author=world.staff))


def test_staff_do_not_publish_a_proposal_they_filed_for_a_resident(world):
    proposal = services.create_proposal(
        actor=world.staff,
        community=world.yuling,
        title="路灯坏了",
        body="东门的路灯不亮。",
        category="safety",
        on_behalf_of=world.resident2,
    )
    assert proposal.author == world.resident2
    _own_work(lambda: services.publish_proposal(actor=world.staff, proposal=proposal))
    # The admin's review page neither (it calls the same service).
    sync_staff_access(world.staff)
    client_for(world.staff).post(
        reverse("council_proposal:edit", args=[proposal.pk]), {"action": "publish"}
    )
    proposal.refresh_from_db()
    assert proposal.status == "submitted"
    services.publish_proposal(actor=world.street_staff, proposal=proposal)


def test_staff_do_not_moderate_their_own_comment_or_the_debate_on_their_proposal(world):
    theirs = make_proposal(world, status="discussion", author=world.resident)
    own_comment = Comment.objects.create(proposal=theirs, author=world.staff, body="我来说明")
    mine = make_proposal(world, status="discussion", author=world.staff)
    critic = Comment.objects.create(proposal=mine, author=world.resident2, body="不同意")
    other = Comment.objects.create(proposal=theirs, author=world.resident2, body="同意")
    for comment in (own_comment, critic):
        assert not perms.can_moderate(world.staff, comment)
        _own_work(lambda c=comment: services.hide_comment(actor=world.staff, comment=c, reason="x"))
        response = _api(world.staff, f"/api/v1/comments/{comment.pk}/hide", {"reason": "广告"})
        assert response.status_code == 403 and response.json()["code"] == "own_work"
        comment.refresh_from_db()
        assert not comment.hidden
    # The pages show no hide button for them, and still one for others' comments.
    page = client_for(world.staff).get(reverse("deliberation:proposal_detail", args=[theirs.pk]))
    html = page.content.decode()
    assert reverse("deliberation:comment_hide", args=[own_comment.pk]) not in html
    assert reverse("deliberation:comment_hide", args=[other.pk]) in html
    page = client_for(world.staff).get(reverse("deliberation:proposal_detail", args=[mine.pk]))
    assert reverse("deliberation:comment_hide", args=[critic.pk]) not in page.content.decode()
    # Restoring one's own hidden comment (closing the reports about it) is refused too.
    services.hide_comment(actor=world.street_staff, comment=own_comment, reason="待核实")
    _own_work(lambda: services.restore_comment(actor=world.staff, comment=own_comment))
    services.hide_comment(actor=world.staff, comment=other, reason="广告")


def test_a_meetings_decision_on_ones_own_proposal_is_recorded_by_someone_else(world):
    mine = make_proposal(world, status="discussion", author=world.staff)
    meeting = services.schedule_meeting(
        actor=world.staff,
        council=world.council,
        starts_at=timezone.now() + timezone.timedelta(days=2),
        place="社区活动室",
        agenda=[mine],
    )
    _own_work(
        lambda: services.record_decision(
            actor=world.staff, meeting=meeting, proposal=mine, decision="同意"
        )
    )
    services.record_decision(
        actor=world.street_staff, meeting=meeting, proposal=mine, decision="同意"
    )


def test_staff_record_no_votes_on_their_own_proposal(world):
    mine = make_proposal(world, status="voting", author=world.staff)
    _own_work(
        lambda: services.cast_vote(
            actor=world.staff, proposal=mine, choice="support", voter=world.resident
        )
    )
    response = client_for(world.staff).put(
        f"/api/v1/proposals/{mine.pk}/vote",
        {"choice": "support", "voter": world.resident.pk},
        content_type=JSON,
    )
    assert response.status_code == 403 and response.json()["code"] == "own_work"
    page = client_for(world.staff).get(reverse("deliberation:proposal_detail", args=[mine.pk]))
    assert 'name="assisted-voter"' not in page.content.decode()
    theirs = make_proposal(world, status="voting", author=world.resident2)
    page = client_for(world.staff).get(reverse("deliberation:proposal_detail", args=[theirs.pk]))
    assert 'name="assisted-voter"' in page.content.decode()
    assert not mine.votes.exists()
    services.cast_vote(
        actor=world.street_staff, proposal=mine, choice="support", voter=world.resident
    )
