"""The forms of the council's admin pages: each valid submission calls deliberation.services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateTimeInput

from communities.models import Community, Membership
from communities.permissions import scoped_to_staffed, staffed_communities
from core.inputs import CleanInputMixin

from .. import permissions as perms
from .. import selectors
from ..forms import FollowUpFieldsMixin, closes_early, early_close_field, follow_up_choices
from ..models import Council, Meeting, Proposal, Vote
from ..services.councils import RULE_FIELDS


class ProposalActionForm(CleanInputMixin, FollowUpFieldsMixin, forms.Form):
    ACTIONS = {
        "publish": (_("Publish: open it for discussion"), perms.can_publish),
        "return": (_("Return it to the author as a draft (say why)"), perms.can_return),
        "open_voting": (_("Open the vote"), perms.can_open_voting),
        "assisted_vote": (
            _("Record the vote of a resident who cannot use a phone"),
            lambda user, p: p.voting_is_open() and perms.may_judge(user, p),
        ),
        "decide": (_("Close the vote and record the decision"), perms.can_decide),
        "hide": (_("Hide it (say why)"), perms.can_hide),
        "restore": (_("Show it again"), perms.can_restore),
    }

    action = forms.ChoiceField(label=_("Action"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        help_text=_("Needed to return or hide; the author sees it."),
    )
    closes_at = forms.DateTimeField(
        label=_("Voting closes"),
        required=False,
        widget=AdminDateTimeInput,
        help_text=_("Leave empty for the council's default number of days."),
    )
    voter = forms.ModelChoiceField(
        label=_("Resident"), queryset=get_user_model().objects.none(), required=False
    )
    choice = forms.ChoiceField(
        label=_("Their vote"), choices=[("", "—"), *Vote.Choice.choices], required=False
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1500,
        required=False,
        help_text=_("What was decided and what happens next (the count is added)."),
    )

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [
            (key, label) for key, (label, check) in self.ACTIONS.items() if check(user, obj)
        ]
        voter_ids = perms.eligible_voters(obj.council).values("user_id")
        self.fields["voter"].queryset = get_user_model().objects.filter(pk__in=voter_ids)
        # Only the fields that an available action uses.
        available = {key for key, _label in self.fields["action"].choices}
        uses = {
            "reason": {"return", "hide", "restore"},
            "closes_at": {"open_voting"},
            "voter": {"assisted_vote"},
            "choice": {"assisted_vote"},
            "outcome": {"decide"},
        }
        for name, actions in uses.items():
            if not actions & available:
                del self.fields[name]
        if "decide" in available and closes_early(obj):
            self.fields["confirm_early"] = early_close_field(selectors.not_voted_count(obj))
            self.fields["confirm_early"].required = False
        self.add_follow_up_fields(follow_up_choices(obj) if "decide" in available else None)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in ("return", "hide") and not (data.get("reason") or "").strip():
            self.add_error("reason", gettext("Say why."))
        if action == "assisted_vote":
            if not data.get("voter"):
                self.add_error("voter", gettext("Choose the resident."))
            if not data.get("choice"):
                self.add_error("choice", gettext("Choose their vote."))
        if action == "decide" and "confirm_early" in self.fields and not data.get("confirm_early"):
            self.add_error("confirm_early", self.fields["confirm_early"].error_messages["required"])
        return self.clean_follow_up_fields(data)


class ModerationForm(CleanInputMixin, forms.Form):
    action = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("hide", _("Hide it (reports upheld)")),
            ("restore", _("Show it (reports dismissed)")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        help_text=_("Needed to hide; the author sees it."),
    )

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("action") == "hide" and not (data.get("reason") or "").strip():
            self.add_error("reason", gettext("Say why."))
        return data


def _agenda_choices(user, council=None):
    return scoped_to_staffed(
        selectors.agenda_proposals(council=council).select_related("council__community"),
        user,
        "council__community",
    )


class MeetingScheduleForm(CleanInputMixin, forms.Form):
    council = forms.ModelChoiceField(label=_("Council"), queryset=Council.objects.none())
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=AdminDateTimeInput)
    place = forms.CharField(label=_("Place"), max_length=200)
    agenda = forms.ModelMultipleChoiceField(
        label=_("Agenda"),
        queryset=Proposal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Proposals of the chosen council to discuss."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = scoped_to_staffed(
            Council.objects.select_related("community"), user, "community"
        )
        self.fields["agenda"].queryset = _agenda_choices(user)


class MeetingRecordForm(CleanInputMixin, forms.Form):
    agenda = forms.ModelMultipleChoiceField(
        label=_("Agenda"),
        queryset=Proposal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees with an account"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_attendees = forms.CharField(
        label=_("Other attendees"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One name per line."),
    )
    attendance_count = forms.IntegerField(
        label=_("Number of people present"),
        min_value=0,
        max_value=100000,
        required=False,
        help_text=_("Leave empty to count the people listed above."),
    )
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=Meeting.Status.choices)

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = obj
        self.fields["agenda"].queryset = _agenda_choices(user, obj.council)
        self.fields["agenda"].initial = [i.proposal_id for i in obj.items.all()]
        members = Membership.objects.filter(
            community_id=obj.council.community_id, status=Membership.Status.VERIFIED
        ).values("user_id")
        self.fields["attendees"].queryset = get_user_model().objects.filter(pk__in=members)
        self.fields["attendees"].initial = list(obj.attendees.values_list("pk", flat=True))
        self.fields["other_attendees"].initial = obj.other_attendees
        self.fields["attendance_count"].initial = obj.attendance_count or None
        self.fields["minutes"].initial = obj.minutes
        self.fields["status"].initial = obj.status
        for item in obj.items.select_related("proposal"):
            self.fields[f"decision_{item.proposal_id}"] = forms.CharField(
                label=gettext("Decision on “%(title)s”") % {"title": item.proposal.title},
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=2000,
                required=False,
                initial=item.decision,
            )


class CouncilRulesForm(CleanInputMixin, forms.ModelForm):
    class Meta:
        model = Council
        fields = list(RULE_FIELDS)

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, instance=obj, **kwargs)


class CouncilCreateForm(CleanInputMixin, forms.ModelForm):
    class Meta:
        model = Council
        fields = ["community", *RULE_FIELDS]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = staffed_communities(user).filter(
            kind=Community.Kind.COMMUNITY, council__isnull=True
        )
