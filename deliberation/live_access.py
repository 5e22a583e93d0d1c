"""What deliberation tells `live`: how proposal events read from the log now.

An event about a proposal (on its own topic, or naming it in data["proposal"] on community
and user topics) is shown to whoever may see the proposal now (permissions.visible_proposals_q:
published and not hidden, or their own, or staff), and left out for everyone else, whatever it
said when it was published. "proposal.hidden" makes the proposal's followers checked at once.
"""

from live import topics

from . import selectors


def _proposal_id(event) -> int | None:
    data = event.data if isinstance(event.data, dict) else {}
    proposal = data.get("proposal")
    value = proposal.get("id") if isinstance(proposal, dict) else None
    if value is None:
        kind, _sep, raw = event.topic.partition(":")
        value = int(raw) if kind == "proposal" and raw.isdigit() else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_proposal_events(user, events) -> list:
    """proposal.* events as `user` may see them now: one query for any number of events."""
    named = {_proposal_id(event) for event in events} - {None}
    visible = selectors.visible_proposal_ids(viewer=user, proposal_ids=named)
    return [event.data if _proposal_id(event) in visible else None for event in events]


def connect() -> None:
    topics.register_reader("proposal", read_proposal_events)
    topics.register_narrowing_event("proposal.hidden")
