"""The forms of the certificate decision page: each valid submission calls
certificates.services (issue_certificate, revoke_certificate)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.inputs import CleanInputMixin
from core.reasons import REASON_MAX


class IssueForm(CleanInputMixin, forms.Form):
    remarks = forms.CharField(
        label=_("Remarks"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Printed on the certificate. Usually left empty."),
    )


class RevokeForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The volunteer is told this reason."),
    )
