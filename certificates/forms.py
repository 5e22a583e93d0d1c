"""Forms of the certificate pages. They only shape input; certificates.services decides."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.inputs import CleanInputMixin

from .idnumbers import IdType
from .models import Certificate, VolunteerProfile


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ProfileForm(CleanInputMixin, forms.Form):
    """The person's real-name details. An empty document number keeps the stored one."""

    real_name = forms.CharField(
        label=_("Real name"),
        max_length=VolunteerProfile._meta.get_field("real_name").max_length,
        help_text=_("As written on your identity document."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_type = forms.ChoiceField(
        label=_("Identity document"), choices=IdType.choices, initial=IdType.RESIDENT_ID
    )
    id_number = forms.CharField(
        label=_("Document number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    volunteer_number = forms.CharField(
        label=_("National volunteer number (optional)"),
        max_length=VolunteerProfile._meta.get_field("volunteer_number").max_length,
        required=False,
        help_text=_("The number given by the national volunteer service information system."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, profile=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        if profile is not None:
            self.initial.setdefault("real_name", profile.real_name)
            self.initial.setdefault("id_type", profile.id_type)
            self.initial.setdefault("volunteer_number", profile.volunteer_number)
            self.fields["id_number"].help_text = _(
                "Stored: %(masked)s. Leave empty to keep it; type it again to change it."
            ) % {"masked": profile.id_number_masked}
        else:
            self.fields["id_number"].required = True


def year_start(today: datetime.date) -> datetime.date:
    return today.replace(month=1, day=1)


class CertificateRequestForm(CleanInputMixin, forms.Form):
    """Ask a community for a certificate of a period's approved hours."""

    community = forms.ModelChoiceField(
        label=_("Community that recorded the hours"),
        queryset=Community.objects.none(),
        empty_label=None,
    )
    period_start = forms.DateField(label=_("From"), widget=DateInput())
    period_end = forms.DateField(label=_("To"), widget=DateInput())
    purpose = forms.CharField(
        label=_("What it is for (optional)"),
        max_length=Certificate._meta.get_field("purpose").max_length,
        required=False,
        help_text=_("For example: a school application, an award."),
    )

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(communities or [])
        self.fields["community"].queryset = Community.objects.filter(
            pk__in=[c.pk for c in choices]
        ).order_by("name")
        hours = {c.pk: getattr(c, "approved_hours", None) for c in choices}
        self.fields["community"].label_from_instance = lambda c: (
            _("%(name)s (%(hours)s hours)") % {"name": c.name, "hours": hours[c.pk]}
            if hours.get(c.pk) is not None
            else c.name
        )
        if len(choices) >= 1:
            self.initial.setdefault("community", choices[0].pk)
        today = timezone.localdate()
        self.initial.setdefault("period_start", year_start(today))
        self.initial.setdefault("period_end", today)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end of the period must not come before its start."))
        return data


class IssueForm(CleanInputMixin, forms.Form):
    remarks = forms.CharField(
        label=_("Remarks (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RevokeForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput())


class VerifyForm(CleanInputMixin, forms.Form):
    number = forms.CharField(
        label=_("Certificate number"),
        max_length=40,
        help_text=_("As printed on the certificate, for example LL2026-7K3M-9QXD."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_number(self):
        value = "".join(self.cleaned_data["number"].split()).upper()
        if not value or any(not (ch.isascii() and (ch.isalnum() or ch == "-")) for ch in value):
            raise forms.ValidationError(_("A certificate number has letters, digits and dashes."))
        return value
