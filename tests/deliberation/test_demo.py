"""The council demo of 玉岭社区: every state, idempotent."""

import io

import pytest

from deliberation.models import Comment, Council, Meeting, Proposal, Vote

pytestmark = pytest.mark.django_db


def load_all():
    from communities import demo as communities_demo
    from deliberation import demo
    from teams import demo as teams_demo

    out = io.StringIO()
    communities_demo.load(stdout=out)
    teams_demo.load(stdout=out)
    demo.load(stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Council, Proposal, Comment, Vote, Meeting)
    }


def test_demo_has_every_state_and_loads_twice_the_same():
    load_all()
    first = counts()
    load_all()
    assert counts() == first

    council = Council.objects.get(community__name="玉岭社区")
    assert (council.voters, council.quorum_kind, council.quorum_votes) == ("residents", "votes", 5)
    assert (council.pass_percent, council.voting_days, council.hide_tally) == (50, 7, False)

    statuses = set(Proposal.objects.filter(council=council).values_list("status", flat=True))
    assert statuses == {"accepted", "voting", "discussion", "rejected", "withdrawn"}

    garbage = Proposal.objects.get(council=council, status="accepted")
    assert "垃圾" in garbage.title
    assert garbage.task is not None
    assert garbage.task.team.name == "玉岭社区环境志愿服务队"
    assert garbage.task.team.memberships.filter(
        user__email="leader1@example.com", role="leader"
    ).exists()
    assert Vote.objects.filter(proposal=garbage, assisted=True).count() == 1

    green = Proposal.objects.get(council=council, status="voting")
    assert "绿化带" in green.title
    assert green.voting_is_open()
    assert green.votes.exists()

    discussion = Proposal.objects.get(council=council, status="discussion")
    assert discussion.comments.filter(parent__isnull=False).exists()

    meeting = Meeting.objects.get(council=council)
    assert meeting.status == "held"
    assert meeting.minutes
    assert meeting.items.exclude(decision="").exists()
