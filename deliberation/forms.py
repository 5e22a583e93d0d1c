"""Forms of the council pages. They only shape input; `deliberation.services` decides."""

from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext

from core import ids
from core.drafts import parse_client_key
from core.inputs import CleanInputMixin

from . import selectors
from .models import CATEGORY_SKILLS, MAX_PHOTOS, Category, Proposal, Vote

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to MAX_PHOTOS files in one input; the services check type and size by content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": PHOTO_ACCEPT, "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            files = [super(MultiplePhotoField, self).clean(f, initial) for f in data if f]
        else:
            files = [super().clean(data, initial)] if data else []
        files = [f for f in files if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("Add at most %(max)d photos.") % {"max": MAX_PHOTOS}, code="too_many"
            )
        return files


class IdChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that refuses ids no database column can hold (never a 500)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not ids.in_range(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value:
            if not ids.in_range(item):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super()._check_values(value)


class SearchForm(CleanInputMixin, forms.Form):
    """The council page's filters (GET): search words and a category."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *Category.choices]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("For example: garbage"), "enterkeyhint": "search"}
        )


class ProposalForm(CleanInputMixin, forms.Form):
    """With `residents` (staff only), an optional "Filed for a resident" select is added."""

    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("What is the problem, and what do you suggest?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    location = forms.CharField(
        label=_("Where (optional)"),
        max_length=200,
        required=False,
        help_text=_("For example: the garbage sorting point at the east gate."),
    )
    photos = MultiplePhotoField(
        label=_("Photos (optional)"),
        required=False,
        help_text=_("Up to 4 photos, JPEG, PNG or WebP, at most 5 MB each."),
    )
    # Made per draft by the phone's script (site/static/js/pwa.js): sent twice, filed once.
    client_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_client_key(self):
        return parse_client_key(self.cleaned_data.get("client_key"))

    def __init__(self, *args, residents=None, resident_query="", **kwargs):
        super().__init__(*args, **kwargs)
        if residents is not None:
            from teams.forms import add_resident_field

            add_resident_field(self, residents, query=resident_query)


class ProposalEditForm(ProposalForm):
    remove_photos = forms.MultipleChoiceField(
        label=_("Remove photos"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, photos=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_photos = list(photos)
        self.fields["remove_photos"].choices = [
            (str(p.pk), _("Photo %(n)d") % {"n": i}) for i, p in enumerate(self.existing_photos, 1)
        ]
        if not self.existing_photos:
            del self.fields["remove_photos"]
        self.fields["photos"].label = _("Add photos (optional)")

    def clean(self):
        data = super().clean()
        keep = len(self.existing_photos) - len(data.get("remove_photos") or [])
        if keep + len(data.get("photos") or []) > MAX_PHOTOS:
            self.add_error(
                "photos",
                _("A proposal may have at most %(max)d photos.") % {"max": MAX_PHOTOS},
            )
        return data


class CommentForm(CleanInputMixin, forms.Form):
    body = forms.CharField(
        label=_("Your comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=ids.MAX_ID
    )


class ReplyForm(CommentForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Your reply")
        self.fields["body"].widget.attrs["rows"] = 2


class ReasonForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class RequiredReasonForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class VoteForm(CleanInputMixin, forms.Form):
    choice = forms.ChoiceField(label=_("Your vote"), choices=Vote.Choice.choices)


class AssistedVoteForm(CleanInputMixin, forms.Form):
    voter = IdChoiceField(
        label=_("Resident"), queryset=get_user_model().objects.none(), empty_label=_("Choose…")
    )
    choice = forms.ChoiceField(
        label=_("Their vote"), choices=Vote.Choice.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, voters=None, **kwargs):
        super().__init__(*args, **kwargs)
        if voters is not None:
            self.fields["voter"].queryset = voters
        self.fields["voter"].label_from_instance = lambda user: user.get_display_name()


class OpenVotingForm(CleanInputMixin, forms.Form):
    closes_at = forms.DateTimeField(
        label=_("Voting closes (optional)"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DateTimeInput(),
        help_text=_("Leave empty to use the council's default number of days."),
    )


def closes_early(proposal: Proposal, now=None) -> bool:
    """Would deciding now cut the vote short of its announced end?"""
    now = now or timezone.now()
    return proposal.voting_closes_at is None or proposal.voting_closes_at > now


def early_close_field(not_voted: int) -> forms.BooleanField:
    """A required "I confirm" box: a vote closed before its end is what staff must mean, and
    a box works without JavaScript where a confirm() dialog would not."""
    return forms.BooleanField(
        label=_("I confirm: close the vote before its announced end"),
        required=True,
        help_text=ngettext_lazy(
            "%(count)d eligible voter has not voted yet.",
            "%(count)d eligible voters have not voted yet.",
            "count",
        )
        % {"count": not_voted},
        error_messages={"required": _("Tick the box to close the vote early.")},
    )


@dataclass(frozen=True)
class FollowUpChoices:
    """What staff may choose for the follow-up task when deciding: every skill, the category's
    skills to start from, and the active teams serving the community (skills prefetched)."""

    skills: list
    default_skills: list[str]
    teams: list


def follow_up_choices(proposal: Proposal) -> FollowUpChoices:
    """Three queries, whatever the number of skills and teams."""
    from teams.models import Skill
    from teams.permissions import serving_teams

    skills = list(Skill.objects.order_by("name"))
    wanted = set(CATEGORY_SKILLS.get(proposal.category, []))
    teams = list(
        serving_teams(proposal.council.community).order_by("name").prefetch_related("skills")
    )
    return FollowUpChoices(
        skills=skills,
        default_skills=[skill.slug for skill in skills if skill.slug in wanted],
        teams=teams,
    )


NO_TEAM_WARNING = _(
    "No team serving this community has all these skills, so no team could take the task. "
    "Untick a skill the work does not need; otherwise the task waits in the staff inbox until "
    "staff give it to a team."
)


def _names(names) -> str:
    return pgettext("list separator", ", ").join(names)


def _team_label(team) -> str:
    skills = _names(skill.name for skill in team.skills.all())
    return f"{team.name} ({skills})" if skills else team.name


def skills_missing(team, slugs) -> list[str]:
    """The slugs of `slugs` the team (skills prefetched) lacks."""
    has = {skill.slug for skill in team.skills.all()}
    return [slug for slug in slugs if slug not in has]


class FollowUpFieldsMixin:
    """The follow-up task's skills and team, offered with `choices` (FollowUpChoices).

    `follow_up` (hidden) marks a form that showed the skills: without it (an older page or
    client) the decision keeps the category's skills, where no box ticked means no skill.
    """

    def add_follow_up_fields(self, choices: FollowUpChoices | None):
        self.follow_up = choices
        if choices is None:
            return
        self.fields["follow_up"] = forms.BooleanField(
            widget=forms.HiddenInput, required=False, initial=True
        )
        self.fields["required_skills"] = forms.MultipleChoiceField(
            label=_("Skills the follow-up task needs"),
            choices=[(skill.slug, skill.name) for skill in choices.skills],
            required=False,
            initial=choices.default_skills,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Filled in from the category; tick or untick as the work needs."),
        )
        self.fields["team"] = forms.TypedChoiceField(
            label=_("Give the task to one team (optional)"),
            choices=[
                ("", _("No team: every team with these skills may take it")),
                *[(str(team.pk), _team_label(team)) for team in choices.teams],
            ],
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
        )
        if self.no_team_can_take():
            self.fields["team"].help_text = NO_TEAM_WARNING

    def clean_follow_up_fields(self, data):
        if self.follow_up is None:
            return data
        if not data.get("follow_up"):
            data["required_skills"] = None
        team_id = data.get("team")
        data["team"] = next((t for t in self.follow_up.teams if t.pk == team_id), None)
        return data

    def chosen_skills(self) -> list[str]:
        """The skills as the form shows them: as submitted, or the category's."""
        if self.follow_up is None:
            return []
        if self.is_bound and self.data.get(self.add_prefix("follow_up")):
            known = {skill.slug for skill in self.follow_up.skills}
            return [s for s in self.data.getlist(self.add_prefix("required_skills")) if s in known]
        return self.follow_up.default_skills

    def _missing(self) -> list[list[str]]:
        """For each team, the names of the chosen skills it lacks."""
        chosen = self.chosen_skills()
        names = {skill.slug: skill.name for skill in self.follow_up.skills}
        return [
            [names[slug] for slug in skills_missing(team, chosen)] for team in self.follow_up.teams
        ]

    def team_rows(self) -> list[dict]:
        """Each team that could be chosen, with its skills and those of the chosen ones it lacks."""
        if self.follow_up is None:
            return []
        # The radio buttons in the order of the choices: "no team" first, then the teams.
        buttons = list(self["team"])[1:]
        return [
            {
                "team": team,
                "button": button,
                "skills": _names(skill.name for skill in team.skills.all()),
                "skill_slugs": " ".join(skill.slug for skill in team.skills.all()),
                "missing": _names(missing),
            }
            for team, button, missing in zip(
                self.follow_up.teams, buttons, self._missing(), strict=True
            )
        ]

    def no_team_button(self):
        return list(self["team"])[0]

    no_team_warning = NO_TEAM_WARNING

    def no_team_can_take(self) -> bool:
        """True when no team serving the community has every chosen skill."""
        return self.follow_up is not None and all(self._missing())


class DecisionForm(CleanInputMixin, FollowUpFieldsMixin, forms.Form):
    """With `proposal` whose vote is still running, the decision asks for `confirm_early`;
    with `follow_up` (FollowUpChoices), it offers the follow-up task's skills and team."""

    outcome = forms.CharField(
        label=_("Outcome (optional)"),
        max_length=1500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What was decided and what happens next. The count and the council's rules are "
            "added for you."
        ),
    )

    def __init__(self, *args, proposal=None, follow_up=None, **kwargs):
        super().__init__(*args, **kwargs)
        if proposal is not None and closes_early(proposal):
            self.fields["confirm_early"] = early_close_field(selectors.not_voted_count(proposal))
        self.add_follow_up_fields(follow_up)

    def clean(self):
        return self.clean_follow_up_fields(super().clean())


class MeetingForm(CleanInputMixin, forms.Form):
    title = forms.CharField(label=_("Title (optional)"), max_length=120, required=False)
    starts_at = forms.DateTimeField(
        label=_("Date and time"), input_formats=DATETIME_FORMATS, widget=DateTimeInput()
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    agenda = IdMultipleChoiceField(
        label=_("Agenda: proposals to discuss"),
        queryset=Proposal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, proposals=None, **kwargs):
        super().__init__(*args, **kwargs)
        if proposals is not None:
            self.fields["agenda"].queryset = proposals

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


class AttendanceForm(CleanInputMixin, forms.Form):
    attendees = IdMultipleChoiceField(
        label=_("Members present"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_attendees = forms.CharField(
        label=_("Others present (one name per line)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attendance_count = forms.IntegerField(
        label=_("Number of people present (optional)"),
        min_value=0,
        max_value=100000,
        required=False,
        help_text=_("Leave empty to count the members and names above."),
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["attendees"].queryset = members
        self.fields["attendees"].label_from_instance = lambda user: user.get_display_name()


class MinutesForm(CleanInputMixin, forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )
    held = forms.BooleanField(label=_("The meeting was held"), required=False, initial=True)


class MeetingDecisionForm(CleanInputMixin, forms.Form):
    proposal = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=ids.MAX_ID)
    decision = forms.CharField(
        label=_("Decision taken"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
