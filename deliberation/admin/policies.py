"""The permission policies of the council's models (deliberation/wagtail_hooks.py registers
them): staff act on the council objects of the communities they staff; nobody deletes here."""

from communities.admin.scope import CommunityScopedPolicy

from ..models import Comment, Council, Meeting, Proposal

POLICIES = [
    CommunityScopedPolicy(Proposal, community_lookup="council__community"),
    CommunityScopedPolicy(Council, actions=("view", "add", "change")),
    CommunityScopedPolicy(
        Meeting, community_lookup="council__community", actions=("view", "add", "change")
    ),
    CommunityScopedPolicy(Comment, community_lookup="proposal__council__community"),
]
