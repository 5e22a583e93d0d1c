"""The council's arithmetic: quorum, threshold, ties, zero votes, eligible voters."""

import pytest

from deliberation.tally import (
    Rules,
    Tally,
    decide,
    eligible_roles,
    quorum_met,
    tally_from_choices,
    threshold_met,
    votes_needed_for_quorum,
)

MAJORITY = Rules(quorum_kind="votes", quorum_votes=5, pass_percent=50)


def test_counting_choices_ignores_unknown_values():
    tally = tally_from_choices(["support", "oppose", "support", "abstain", "bogus"])
    assert tally == Tally(support=2, oppose=1, abstain=1)
    assert tally.total == 4
    assert tally.as_dict() == {"support": 2, "oppose": 1, "abstain": 1, "total": 4}


def test_zero_votes_never_pass():
    result = decide(MAJORITY, Tally(), eligible=10)
    assert not result.accepted
    assert not result.quorum_met
    assert not result.threshold_met
    # not even with no quorum at all
    no_quorum = Rules(quorum_kind="votes", quorum_votes=0, pass_percent=50)
    assert quorum_met(no_quorum, Tally(), 10)
    assert not decide(no_quorum, Tally(), 10).accepted


def test_only_abstentions_do_not_pass_but_count_for_the_quorum():
    tally = Tally(abstain=6)
    result = decide(MAJORITY, tally, eligible=10)
    assert result.quorum_met
    assert not result.threshold_met
    assert not result.accepted


def test_a_tie_does_not_pass_a_simple_majority():
    tally = Tally(support=3, oppose=3)
    assert not threshold_met(MAJORITY, tally)
    assert not decide(MAJORITY, tally, eligible=10).accepted


def test_one_more_supporter_passes():
    tally = Tally(support=4, oppose=3)
    result = decide(MAJORITY, tally, eligible=10)
    assert result.accepted and result.quorum_met and result.threshold_met


def test_abstentions_are_left_out_of_the_threshold():
    # 3 support, 2 oppose, 10 abstain: 60 % of the decisive votes
    tally = Tally(support=3, oppose=2, abstain=10)
    assert threshold_met(MAJORITY, tally)
    assert decide(MAJORITY, tally, eligible=20).accepted


@pytest.mark.parametrize(
    ("support", "oppose", "percent", "passes"),
    [
        (2, 1, 66, True),  # 66.67 % > 66 %
        (2, 1, 67, False),  # 66.67 % is not more than 67 %
        (1, 1, 49, True),
        (1, 1, 50, False),
        (1, 0, 99, True),
        (99, 1, 99, False),  # exactly 99 % is not more than 99 %
        (100, 1, 99, True),
    ],
)
def test_threshold_is_strictly_more_than_the_percentage(support, oppose, percent, passes):
    rules = Rules(quorum_kind="votes", quorum_votes=0, pass_percent=percent)
    assert threshold_met(rules, Tally(support=support, oppose=oppose)) is passes


def test_quorum_by_number_of_votes_edges():
    rules = Rules(quorum_kind="votes", quorum_votes=5, pass_percent=50)
    assert not quorum_met(rules, Tally(support=4), eligible=100)
    assert quorum_met(rules, Tally(support=4, abstain=1), eligible=100)
    assert votes_needed_for_quorum(rules, 100) == 5
    # 4 supporters, nobody against, but only 4 votes: no quorum, rejected
    result = decide(rules, Tally(support=4), eligible=100)
    assert not result.accepted and result.threshold_met and not result.quorum_met


@pytest.mark.parametrize(
    ("eligible", "percent", "needed"),
    [(10, 50, 5), (11, 50, 6), (3, 34, 2), (0, 50, 0), (7, 100, 7), (7, 0, 0), (1000, 1, 10)],
)
def test_quorum_as_a_share_rounds_up(eligible, percent, needed):
    rules = Rules(quorum_kind="share", quorum_percent=percent, pass_percent=50)
    assert votes_needed_for_quorum(rules, eligible) == needed
    if needed:
        assert not quorum_met(rules, Tally(support=needed - 1), eligible)
    assert quorum_met(rules, Tally(support=needed), eligible)


def test_representatives_only_council_counts_representatives_as_eligible():
    rules = Rules(representatives_only=True, quorum_kind="share", quorum_percent=50)
    assert eligible_roles(rules) == ("representative",)
    assert eligible_roles(Rules()) == ("resident", "representative")
    # 4 representatives: half of them (2) make the quorum
    assert decide(rules, Tally(support=2), eligible=4).accepted
    assert not decide(rules, Tally(support=1), eligible=4).accepted


def test_result_reports_what_was_needed():
    result = decide(MAJORITY, Tally(support=2, oppose=1), eligible=8)
    assert result.votes_needed == 5
    assert result.eligible == 8
    assert result.tally.total == 3
