"""Forms of the team and task pages. They only shape input; the services decide."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core import inputs
from core.drafts import parse_client_key
from core.inputs import CleanInputMixin

from .models import Need, Skill, Task, Team

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"

# Assisted participation: how many residents the "Filed for a resident" select lists at once;
# staff narrow a larger community with the search box (name, phone or e-mail).
RESIDENT_CHOICES = 200


def resident_label(user) -> str:
    """Name and the last four digits of the phone: enough to tell two Wang Fangs apart."""
    name = user.get_display_name()
    phone = (getattr(user, "phone", "") or "").strip()
    return f"{name} · …{phone[-4:]}" if phone else name


def search_residents(residents, query: str):
    from django.db.models import Q

    query = (query or "").strip()[:60]
    if query:
        # Phones are stored as +8613800001234: "138 0000 1234" finds them too.
        digits = "".join(ch for ch in query if ch not in " -()")
        residents = residents.filter(
            Q(display_name__icontains=query)
            | Q(phone__contains=digits or query)
            | Q(email__icontains=query)
        )
    return residents


def add_resident_field(form, residents, *, query: str = "") -> None:
    """Adds the optional `on_behalf_of` select (staff only): it accepts any of `residents` and
    lists those matching `query` (at most RESIDENT_CHOICES, the chosen one always)."""
    from django.contrib.auth import get_user_model

    refused_query = inputs.has_control_characters(query or "")
    form.resident_query_error = inputs.MESSAGE if refused_query else ""
    if refused_query:
        query = ""

    class ResidentField(forms.ModelChoiceField):
        def validate(self, value):
            if refused_query:  # the search box is read by hand: the shared rule, here
                raise forms.ValidationError(inputs.MESSAGE, code=inputs.CODE)
            super().validate(value)

        def to_python(self, value):
            if value in self.empty_values:
                return None
            text = str(value).strip()
            if not text.isdigit() or not 1 <= int(text) <= 2**63 - 1:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                )
            return super().to_python(value)

        def label_from_instance(self, obj):
            return resident_label(obj)

    field = ResidentField(
        label=_("Resident"),
        queryset=residents if residents is not None else get_user_model().objects.none(),
        required=False,
        empty_label=_("Nobody: I am filing it myself"),
        help_text=_(
            "Choose the resident who came to the service station. The page will say that you "
            "filed it with them."
        ),
    )
    form.fields["on_behalf_of"] = field
    shown = list(
        search_residents(field.queryset, query).order_by("display_name", "pk")[:RESIDENT_CHOICES]
    )
    chosen = form.data.get("on_behalf_of") if form.is_bound else form.initial.get("on_behalf_of")
    if chosen and str(chosen).isdigit() and all(str(u.pk) != str(chosen) for u in shown):
        shown += list(field.queryset.filter(pk=int(chosen))[:1]) if int(chosen) < 2**63 else []
    field.widget.choices = [("", field.empty_label)] + [(u.pk, resident_label(u)) for u in shown]
    form.resident_count = len(shown)
    form.resident_query = (query or "").strip()[:60]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def offer_communities(form, communities) -> None:
    """The `community` picker offers these; the only one is chosen already."""
    form.fields["community"].queryset = communities
    choices = list(communities)
    if len(choices) == 1:
        form.initial.setdefault("community", choices[0].pk)


class JoinTeamForm(CleanInputMixin, forms.Form):
    note = forms.CharField(
        label=_("A note for the team leader (optional)"),
        max_length=200,
        required=False,
        help_text=_("For example what you can help with and when you are free."),
    )


class ClaimForm(CleanInputMixin, forms.Form):
    team = forms.ModelChoiceField(
        label=_("Take it on for"), queryset=Team.objects.filter(active=True), empty_label=None
    )

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams
        self.single_team = None
        if teams is not None:
            choices = list(teams)
            if len(choices) == 1:
                # One team to choose from: no picker, the button names it.
                self.single_team = choices[0]
                self.fields["team"].widget = forms.HiddenInput()
                self.initial.setdefault("team", self.single_team.pk)


class DispatchForm(CleanInputMixin, forms.Form):
    """Staff give an open task to one team (the teams that serve its community)."""

    team = forms.ModelChoiceField(
        label=_("Give it to"), queryset=Team.objects.none(), empty_label=None
    )

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams


class ReasonForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(),
    )


class RequiredReasonForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput())


class VerifyForm(CleanInputMixin, forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)


class UpdateForm(CleanInputMixin, forms.Form):
    text = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Task.Status.choices)
        self.fields["status"].choices = [("", _("No change"))] + [
            (value, labels[value]) for value in statuses
        ]
        if not statuses:
            del self.fields["status"]

    def clean(self):
        data = super().clean()
        if not data.get("text") and not data.get("photo") and not data.get("status"):
            raise forms.ValidationError(_("Write a few words or add a photo."))
        return data


class HoursForm(CleanInputMixin, forms.Form):
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=0.25,
        max_value=24,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}),
    )
    date = forms.DateField(label=_("Date"), widget=DateInput())
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("date", timezone.localdate())


class DeclineHoursForm(RequiredReasonForm):
    pass


class TaskForm(CleanInputMixin, forms.Form):
    """Staff create a task for a community they staff."""

    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, initial=Task.Priority.NORMAL
    )
    required_skills = forms.ModelMultipleChoiceField(
        label=_("Skills needed"),
        queryset=Skill.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sensitive = forms.BooleanField(
        label=_("Sensitive"),
        required=False,
        help_text=_(
            "Only community staff and the team that takes it on see the title, description "
            "and updates."
        ),
    )
    due_date = forms.DateField(label=_("Due date (optional)"), required=False, widget=DateInput())
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label=_("Open to every team with the skills"),
    )

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if communities is not None:
            offer_communities(self, communities)

    def clean_due_date(self):
        value = self.cleaned_data.get("due_date")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return value

    def due_at(self):
        """The due date as the end of that day, local time."""
        value = self.cleaned_data.get("due_date")
        if not value:
            return None
        return timezone.make_aware(datetime.datetime.combine(value, datetime.time(23, 59)))


class AcceptNeedForm(CleanInputMixin, forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label=_("Open to every team with the skills"),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, initial=Task.Priority.NORMAL
    )


class DeclineNeedForm(RequiredReasonForm):
    pass


class NeedForm(CleanInputMixin, forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    category = forms.ChoiceField(label=_("What kind of help"), choices=Need.Category.choices)
    description = forms.CharField(
        label=_("Describe what you need"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("When and where, and how to reach you. Staff read it first."),
    )
    private = forms.BooleanField(
        label=_("Keep it private"),
        required=False,
        help_text=_("Only community staff and the team that helps will see the details."),
    )
    # Made per draft by the phone's script (site/static/js/pwa.js): sent twice, filed once.
    client_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_client_key(self):
        return parse_client_key(self.cleaned_data.get("client_key"))

    def __init__(self, *args, communities=None, residents=None, resident_query="", **kwargs):
        super().__init__(*args, **kwargs)
        if communities is not None:
            offer_communities(self, communities)
        if residents is not None:
            # Staff only: "Filed for a resident" (assisted participation).
            add_resident_field(self, residents, query=resident_query)
