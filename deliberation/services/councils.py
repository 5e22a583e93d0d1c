"""The residents' council itself and its rules."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.errors import NotAllowed

from .. import permissions as perms
from ..models import Council
from .common import audit

#: What staff may change of a council (its forms edit exactly these).
RULE_FIELDS = (
    "name",
    "voters",
    "quorum_kind",
    "quorum_votes",
    "quorum_percent",
    "pass_percent",
    "voting_days",
    "hide_tally",
)


def update_council(*, actor, council: Council, **rules) -> Council:
    """Staff change the council's rules (who votes, quorum, threshold, days, hidden tally)."""
    if not perms.can_manage_council(actor, council):
        raise NotAllowed(_("Only community staff can change the council's rules."))
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: [gettext("This field cannot be changed.")] for name in unknown}
        )
    with transaction.atomic():
        for name, value in rules.items():
            setattr(council, name, value)
        council.full_clean(exclude=["community"])
        council.save()
        audit(council, "linli.council.rules", actor, **{k: rules[k] for k in sorted(rules)})
    return council


def ensure_council(*, community: Community, **defaults) -> Council:
    """The community's council, created with default rules when missing (demo, admin)."""
    council, _created = Council.objects.get_or_create(community=community, defaults=defaults)
    return council
