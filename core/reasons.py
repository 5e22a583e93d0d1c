"""The reason a person gives for a decision (declining, cancelling, revoking): required, and
short enough to show beside the decision."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

REASON_MAX = 300


def required_reason(value, *, missing) -> str:
    """The reason, stripped; a ValidationError on `reason` saying `missing` when there is none,
    or that it is too long."""
    reason = (value or "").strip()
    if not reason:
        raise ValidationError({"reason": [missing]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("Keep the reason under 300 characters.")]})
    return reason
