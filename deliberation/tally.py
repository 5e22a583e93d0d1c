"""The council's arithmetic, as pure functions (no database, no clock).

- Quorum: the number of votes cast (support + oppose + abstain) reaches the council's
  minimum number of votes, or its share of the eligible voters.
- Threshold: support is MORE than `pass_percent` % of support + oppose (abstentions are
  left out). With 50 % that is a simple majority, so a tie does not pass.
- Zero votes never pass: no quorum can be met by nobody (a quorum of 0 still needs one
  supporting vote to pass the threshold).

All comparisons are done in integers, so that 2 of 3 against 66 % and 1 of 2 against 50 %
come out exactly.
"""

from dataclasses import dataclass

QUORUM_VOTES = "votes"
QUORUM_SHARE = "share"


@dataclass(frozen=True)
class Rules:
    representatives_only: bool = False
    quorum_kind: str = QUORUM_VOTES
    quorum_votes: int = 5
    quorum_percent: int = 0
    pass_percent: int = 50


@dataclass(frozen=True)
class Tally:
    support: int = 0
    oppose: int = 0
    abstain: int = 0

    @property
    def total(self) -> int:
        return self.support + self.oppose + self.abstain

    def as_dict(self) -> dict:
        return {
            "support": self.support,
            "oppose": self.oppose,
            "abstain": self.abstain,
            "total": self.total,
        }


@dataclass(frozen=True)
class Result:
    accepted: bool
    quorum_met: bool
    threshold_met: bool
    votes_needed: int  # for the quorum
    tally: Tally
    eligible: int


def tally_from_choices(choices) -> Tally:
    """Count an iterable of choice strings ("support", "oppose", "abstain")."""
    counts = {"support": 0, "oppose": 0, "abstain": 0}
    for choice in choices:
        if choice in counts:
            counts[choice] += 1
    return Tally(**counts)


def votes_needed_for_quorum(rules: Rules, eligible: int) -> int:
    """How many votes (any choice) the quorum asks for."""
    if rules.quorum_kind == QUORUM_SHARE:
        # ceil(eligible * percent / 100) in integers
        return max(0, -(-max(eligible, 0) * rules.quorum_percent // 100))
    return max(0, rules.quorum_votes)


def quorum_met(rules: Rules, tally: Tally, eligible: int) -> bool:
    return tally.total >= votes_needed_for_quorum(rules, eligible)


def threshold_met(rules: Rules, tally: Tally) -> bool:
    """support / (support + oppose) > pass_percent / 100, never true without support."""
    decisive = tally.support + tally.oppose
    if tally.support == 0 or decisive == 0:
        return False
    return tally.support * 100 > rules.pass_percent * decisive


def decide(rules: Rules, tally: Tally, eligible: int) -> Result:
    q = quorum_met(rules, tally, eligible)
    t = threshold_met(rules, tally)
    return Result(
        accepted=q and t,
        quorum_met=q,
        threshold_met=t,
        votes_needed=votes_needed_for_quorum(rules, eligible),
        tally=tally,
        eligible=eligible,
    )


def eligible_roles(rules: Rules) -> tuple[str, ...]:
    """Membership roles whose verified holders may vote (staff run the vote, they do not vote)."""
    if rules.representatives_only:
        return ("representative",)
    return ("resident", "representative")
