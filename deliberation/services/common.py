"""What the council's services share: input cleaning, rate limits, the proposal's row lock,
the audit entry, the proposal's topic and the staff guard of a proposal."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from accounts.permissions import is_signed_in
from core import ratelimit
from core.errors import NotAllowed

from .. import permissions as perms
from ..models import Proposal

S = Proposal.Status


# action -> (how many, per how many seconds), per person. settings.DELIBERATION_RATE_LIMITS
# overrides single entries; None switches one off. Votes have no limit of their own by default:
# the write ceiling every page and API write passes (core.ratelimit, WRITE_RATE_LIMITS) already
# counts them per person, and a second count would cost every vote two more cache round trips.
DEFAULT_RATE_LIMITS = {
    "proposal": (10, 3600),
    "comment": (30, 600),
    "vote": None,
    "report": (30, 3600),
}


def check_rate(*, user, action: str) -> None:
    """Count one `action` for `user`; RateLimited (429, retry_after) beyond the limit."""
    limits = {**DEFAULT_RATE_LIMITS, **getattr(settings, "DELIBERATION_RATE_LIMITS", {})}
    if user is None or user.pk is None:
        return
    ratelimit.hit(key=f"deliberation:{action}:{user.pk}", limit=limits.get(action))


def clean_text(value, *, field: str, max_length: int, required: bool = True) -> str:
    """Strip, refuse NUL and other control characters, check length. Field-keyed errors."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: [gettext("Enter text.")]})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: [gettext("This field is required.")]})
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise ValidationError(
            {field: [gettext("The text contains characters that are not allowed.")]}
        )
    if len(value) > max_length:
        raise ValidationError(
            {
                field: [
                    gettext("Use at most %(max)d characters (now %(length)d).")
                    % {"max": max_length, "length": len(value)}
                ]
            }
        )
    return value


def lock_proposal(proposal: Proposal, *, no_key: bool = False) -> Proposal:
    """Lock the proposal row and refresh `proposal` (its cached relations stay)."""
    fresh = Proposal.objects.select_for_update(of=("self",), no_key=no_key).get(pk=proposal.pk)
    for field in Proposal._meta.concrete_fields:
        setattr(proposal, field.attname, getattr(fresh, field.attname))
    return proposal


def audit(instance, action: str, actor, **data):
    log(instance=instance, action=action, user=actor if is_signed_in(actor) else None, data=data)


def proposal_topic(proposal) -> str:
    return f"proposal:{proposal.pk if isinstance(proposal, Proposal) else proposal}"


def judge_guard(actor, proposal: Proposal, message) -> None:
    """Staff judge proposals (perms.may_judge), never one they wrote or filed themselves."""
    if perms.may_review(actor, proposal) and perms.is_own_proposal(actor, proposal):
        raise NotAllowed(
            _("Another staff member must do this: the proposal is your own."), code="own_work"
        )
    if not perms.may_judge(actor, proposal):
        raise NotAllowed(message)
