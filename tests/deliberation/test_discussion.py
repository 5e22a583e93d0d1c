"""Comments with one level of replies, reports, automatic hiding, moderation."""

import pytest
from django.core.exceptions import ValidationError

from core.errors import Conflict, NotAllowed
from deliberation import permissions as perms
from deliberation import services
from deliberation.models import Comment, Report

from .conftest import client_for, make_proposal, make_user, member

pytestmark = pytest.mark.django_db


def test_comment_and_reply(world):
    proposal = make_proposal(world, status="discussion")
    top = services.add_comment(actor=world.resident2, proposal=proposal, body="同意")
    reply = services.add_comment(actor=world.resident, proposal=proposal, body="谢谢", parent=top)
    assert reply.parent == top


def test_reply_to_a_reply_joins_the_top_level_comment(world):
    proposal = make_proposal(world, status="discussion")
    top = services.add_comment(actor=world.resident2, proposal=proposal, body="同意")
    reply = services.add_comment(actor=world.resident, proposal=proposal, body="谢谢", parent=top)
    deeper = services.add_comment(
        actor=world.resident3, proposal=proposal, body="我也同意", parent=reply
    )
    assert deeper.parent_id == top.pk


def test_reply_must_belong_to_the_same_proposal(world):
    first = make_proposal(world, status="discussion")
    second = make_proposal(world, status="discussion")
    top = services.add_comment(actor=world.resident2, proposal=first, body="a")
    with pytest.raises(ValidationError):
        services.add_comment(actor=world.resident, proposal=second, body="b", parent=top)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("resident2", True),
        ("rep", True),
        ("pending", False),
        ("outsider", False),
        ("staff", True),
        ("other_staff", False),
    ],
)
def test_who_may_comment(world, role, allowed):
    proposal = make_proposal(world, status="discussion")
    who = getattr(world, role)
    if allowed:
        services.add_comment(actor=who, proposal=proposal, body="意见")
    else:
        with pytest.raises(NotAllowed):
            services.add_comment(actor=who, proposal=proposal, body="意见")


@pytest.mark.parametrize("status", ["draft", "submitted", "withdrawn"])
def test_no_comments_before_publishing_or_after_withdrawal(world, status):
    proposal = make_proposal(world, status=status)
    with pytest.raises(Conflict):
        services.add_comment(actor=world.resident, proposal=proposal, body="x")


def test_no_comments_on_hidden_proposals(world):
    proposal = make_proposal(world, status="discussion", hidden=True)
    with pytest.raises(Conflict):
        services.add_comment(actor=world.resident, proposal=proposal, body="x")


def test_three_reports_hide_a_comment_until_staff_review(world):
    proposal = make_proposal(world, status="discussion")
    comment = services.add_comment(actor=world.resident, proposal=proposal, body="广告：低价装修")
    reporters = [world.resident2, world.resident3]
    for user in reporters:
        report, created = services.report_content(actor=user, target=comment, reason="广告")
        assert created
    comment.refresh_from_db()
    assert not comment.hidden
    # the same person reporting again changes nothing
    _report, created = services.report_content(actor=world.resident2, target=comment)
    assert not created
    comment.refresh_from_db()
    assert not comment.hidden

    services.report_content(actor=world.rep, target=comment)
    comment.refresh_from_db()
    assert comment.hidden
    assert comment.hidden_by is None
    assert comment.hidden_reason
    assert not perms.can_view_comment(world.resident2, comment)
    assert perms.can_view_comment(world.resident, comment)  # its author
    assert perms.can_view_comment(world.staff, comment)

    # staff review: restore dismisses the reports
    services.restore_comment(actor=world.staff, comment=comment, reason="不是广告")
    comment.refresh_from_db()
    assert not comment.hidden
    assert set(Report.objects.filter(comment=comment).values_list("status", flat=True)) == {
        "dismissed"
    }
    # later reports by new people count afresh
    extra = [member(make_user(f"x{i}@example.com"), world.yuling) for i in range(2)]
    for user in extra:
        services.report_content(actor=user, target=comment)
    comment.refresh_from_db()
    assert not comment.hidden


def test_three_reports_hide_a_proposal(world):
    proposal = make_proposal(world, status="discussion")
    for user in (world.resident2, world.resident3, world.rep):
        services.report_content(actor=user, target=proposal, reason="重复")
    proposal.refresh_from_db()
    assert proposal.hidden
    assert not perms.can_view_proposal(world.resident2, proposal)
    # staff confirm by hiding: reports upheld
    services.hide_proposal(actor=world.staff, proposal=proposal, reason="与第3号重复")
    proposal.refresh_from_db()
    assert proposal.hidden_by == world.staff
    assert set(Report.objects.filter(proposal=proposal).values_list("status", flat=True)) == {
        "upheld"
    }


def test_report_refusals(world):
    proposal = make_proposal(world, status="discussion")
    comment = services.add_comment(actor=world.resident, proposal=proposal, body="x")
    with pytest.raises(NotAllowed):
        services.report_content(actor=world.anonymous, target=comment)
    with pytest.raises(NotAllowed):  # own content
        services.report_content(actor=world.resident, target=comment)
    hidden = make_proposal(world, status="discussion", hidden=True, author=world.resident2)
    with pytest.raises(NotAllowed):  # cannot see it
        services.report_content(actor=world.resident3, target=hidden)


def test_anyone_signed_in_may_report(world):
    """Even someone of another community, as long as they can see the content."""
    proposal = make_proposal(world, status="discussion")
    _report, created = services.report_content(actor=world.outsider, target=proposal)
    assert created


@pytest.mark.parametrize("role", ["resident2", "pending", "other_staff"])
def test_only_staff_hide_comments(world, role):
    proposal = make_proposal(world, status="discussion")
    comment = services.add_comment(actor=world.resident, proposal=proposal, body="x")
    with pytest.raises(NotAllowed):
        services.hide_comment(actor=getattr(world, role), comment=comment, reason="r")
    with pytest.raises(NotAllowed):
        services.restore_comment(actor=getattr(world, role), comment=comment)


def test_hidden_comments_are_left_out_of_the_api_for_others(world):
    proposal = make_proposal(world, status="discussion")
    kept = services.add_comment(actor=world.resident2, proposal=proposal, body="正常意见")
    gone = services.add_comment(actor=world.resident, proposal=proposal, body="不当言论")
    services.add_comment(actor=world.resident3, proposal=proposal, body="回复", parent=gone)
    services.hide_comment(actor=world.staff, comment=gone, reason="人身攻击")
    url = f"/api/v1/proposals/{proposal.pk}/comments"

    def ids(user):
        items = client_for(user).get(url).json()["items"]
        return [c["id"] for c in items]

    assert ids(None) == [kept.pk]
    assert ids(world.resident2) == [kept.pk]
    assert ids(world.resident) == [kept.pk, gone.pk]  # the author sees it, marked hidden
    assert ids(world.staff) == [kept.pk, gone.pk]
    own = client_for(world.resident).get(url).json()["items"][1]
    assert own["hidden"] is True and own["hidden_reason"] == "人身攻击"
    # the proposal's comment count leaves it out too
    detail = client_for(None).get(f"/api/v1/proposals/{proposal.pk}").json()
    assert detail["comments_count"] == 2  # kept and the reply
    # and hidden comments answer 404 to others for actions
    response = client_for(world.resident2).post(
        f"/api/v1/comments/{gone.pk}/report", {}, "application/json"
    )
    assert response.status_code == 404


def test_comment_api_reply_to_unknown_parent_is_400(world):
    proposal = make_proposal(world, status="discussion")
    response = client_for(world.resident).post(
        f"/api/v1/proposals/{proposal.pk}/comments",
        {"body": "x", "parent": 999999},
        "application/json",
    )
    assert response.status_code == 400
    assert "parent" in response.json()["errors"]


def test_comment_moderation_through_the_api(world):
    proposal = make_proposal(world, status="discussion")
    comment = services.add_comment(actor=world.resident, proposal=proposal, body="x")
    staff = client_for(world.staff)
    response = staff.post(
        f"/api/v1/comments/{comment.pk}/hide", {"reason": "离题"}, "application/json"
    )
    assert response.status_code == 200
    assert response.json()["hidden"] is True
    response = client_for(world.resident2).post(
        f"/api/v1/comments/{comment.pk}/restore", {}, "application/json"
    )
    assert response.status_code == 404  # hidden from them
    response = staff.post(f"/api/v1/comments/{comment.pk}/restore", {}, "application/json")
    assert response.status_code == 200
    assert Comment.objects.get(pk=comment.pk).hidden is False
