"""Forms of the organiser's pages. They only shape input; activities.services decide."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.inputs import CleanInputMixin
from teams.models import Skill, Team

from . import services
from .models import Activity

#: Dates outside these years are typing mistakes (and year 1 cannot even be turned into UTC).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs={"step": 300, **(attrs or {})}, format="%H:%M")


def _check_year(value):
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise forms.ValidationError(_("Enter a date between 2000 and 2100."))
    return value


def combine(day, time):
    """A date and a time of the day as an aware datetime in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, time))


class ActivityForm(CleanInputMixin, forms.Form):
    """Create (with `teams`, the organising teams the person may choose) or edit (without)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(
        label=pgettext_lazy("activity", "Kind"),
        choices=Activity.Kind.choices,
        initial=Activity.Kind.SERVICE,
        help_text=_("Only volunteer service turns attendance into service hours."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    start_time = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends at"), widget=TimeInput())
    end_date = forms.DateField(
        label=_("End date (optional)"),
        required=False,
        widget=DateInput(),
        help_text=_("Only when it ends on another day."),
    )
    quota = forms.IntegerField(
        label=_("Places (optional)"),
        required=False,
        min_value=1,
        max_value=100000,
        help_text=_(
            "Leave empty for no limit. When the places are taken, people join a waiting list."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    team = forms.ModelChoiceField(
        label=_("Organising team"), queryset=Team.objects.none(), required=False
    )
    audience = forms.ChoiceField(
        label=_("Who may sign up"),
        choices=Activity.Audience.choices,
        initial=Activity.Audience.RESIDENTS,
    )
    required_skills = forms.ModelMultipleChoiceField(
        label=_("Skills needed (optional)"),
        queryset=Skill.objects.order_by("pk"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    #: Where the service's errors about a datetime are shown.
    SERVICE_FIELDS = {"starts_at": "start_time", "ends_at": "end_time"}

    def __init__(self, *args, teams=None, staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is None:  # editing: the organising team stays
            del self.fields["team"]
            return
        field = self.fields["team"]
        field.queryset = teams
        choices = list(teams)
        if staff:
            field.empty_label = _("Community staff organise it")
        else:
            field.required = True
            field.empty_label = None if len(choices) == 1 else _("Choose a team")
            if len(choices) == 1:
                self.initial.setdefault("team", choices[0].pk)

    def clean_date(self):
        return _check_year(self.cleaned_data.get("date"))

    def clean_end_date(self):
        return _check_year(self.cleaned_data.get("end_date"))

    def clean(self):
        data = super().clean()
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if day and start and end:
            data["starts_at"] = combine(day, start)
            data["ends_at"] = combine(data.get("end_date") or day, end)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("end_time", _("The end must come after the start."))
        return data

    @classmethod
    def initial_for(cls, activity) -> dict:
        starts = timezone.localtime(activity.starts_at)
        ends = timezone.localtime(activity.ends_at)
        return {
            "title": activity.title,
            "kind": activity.kind,
            "description": activity.description,
            "place": activity.place,
            "date": starts.date(),
            "start_time": starts.time().replace(second=0, microsecond=0),
            "end_time": ends.time().replace(second=0, microsecond=0),
            "end_date": ends.date() if ends.date() != starts.date() else None,
            "quota": activity.quota,
            "audience": activity.audience,
            "required_skills": [s.slug for s in activity.required_skills.all()],
        }

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.ACTIVITY_FIELDS}


class PersonField(forms.IntegerField):
    """A person's id from a hidden input: anything but a database id is refused."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)


class AssistForm(CleanInputMixin, forms.Form):
    person = PersonField()
    purpose = forms.ChoiceField(choices=[("in", "in"), ("out", "out")], widget=forms.HiddenInput)


class SignupForm(CleanInputMixin, forms.Form):
    person = PersonField()


class SheetForm(CleanInputMixin, forms.Form):
    """One line of the paper sign-in sheet: the day, the time in (unless the person already
    checked in) and the time out (optional)."""

    person = PersonField()
    date = forms.DateField(label=_("Date"), widget=DateInput())
    in_time = forms.TimeField(label=_("Time in"), required=False, widget=TimeInput())
    out_time = forms.TimeField(label=_("Time out (optional)"), required=False, widget=TimeInput())

    def __init__(self, *args, needs_in=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_in = needs_in
        if needs_in:
            self.fields["in_time"].required = True
        else:
            del self.fields["in_time"]
            self.fields["out_time"].required = True
            self.fields["out_time"].label = _("Time out")

    def clean_date(self):
        return _check_year(self.cleaned_data.get("date"))

    def clean(self):
        data = super().clean()
        day = data.get("date")
        if day is None:
            return data
        data["checked_in_at"] = combine(day, data["in_time"]) if data.get("in_time") else None
        data["checked_out_at"] = combine(day, data["out_time"]) if data.get("out_time") else None
        if (
            data["checked_in_at"]
            and data["checked_out_at"]
            and data["checked_out_at"] < data["checked_in_at"]
        ):
            self.add_error("out_time", _("Check-out cannot come before check-in."))
        return data


class HoursForm(CleanInputMixin, forms.Form):
    person = PersonField()
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=0,
        max_value=24,
        decimal_places=2,
        help_text=_("0 declines the hours."),
        widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CancelForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=300,
        help_text=_("Everyone signed up is told, with this reason."),
    )
