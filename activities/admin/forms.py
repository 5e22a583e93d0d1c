"""The forms of the activities' admin pages: each valid submission calls activities.services."""

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateTimeInput

from communities.models import Community
from communities.permissions import staffed_communities
from core.inputs import CleanInputMixin
from teams.models import Skill, Team

from .. import permissions as perms
from ..models import Activity


class ActivityFieldsForm(CleanInputMixin, forms.Form):
    """What the organiser says about an activity, when creating or changing it."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(
        label=pgettext_lazy("activity", "Kind"),
        choices=Activity.Kind.choices,
        widget=forms.RadioSelect,
        help_text=_("Only volunteer service credits service hours."),
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    place = forms.CharField(label=_("Place"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=AdminDateTimeInput)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=AdminDateTimeInput)
    quota = forms.IntegerField(
        label=_("Places"),
        required=False,
        min_value=1,
        help_text=_("Leave empty for no limit. More places give waiting people a place at once."),
    )
    audience = forms.ChoiceField(
        label=_("Who may sign up"),
        choices=Activity.Audience.choices,
        initial=Activity.Audience.RESIDENTS,
        widget=forms.RadioSelect,
    )
    required_skills = forms.ModelMultipleChoiceField(
        label=_("Required skills"),
        queryset=Skill.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ActivityCreateForm(ActivityFieldsForm):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    team = forms.ModelChoiceField(
        label=_("Organising team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("Leave empty when community staff organise it."),
    )
    publish_now = forms.BooleanField(
        label=_("Publish now"),
        required=False,
        initial=True,
        help_text=_("Untick to keep it as a draft that only organisers and staff see."),
    )

    field_order = ["community", "team", "title", "kind"]

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        communities = staffed_communities(user)
        self.fields["community"].queryset = communities.filter(kind=Community.Kind.COMMUNITY)
        self.fields["team"].queryset = (
            Team.objects.active().filter(communities__in=communities).distinct().order_by("name")
        )


class ActivityEditForm(ActivityFieldsForm):
    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("title", "kind", "description", "place", "starts_at", "ends_at"):
            self.fields[name].initial = getattr(obj, name)
        self.fields["quota"].initial = obj.quota
        self.fields["audience"].initial = obj.audience
        self.fields["required_skills"].initial = list(obj.required_skills.all())
        if obj.team_id is None:
            # Open to one team's volunteers needs an organising team.
            self.fields["audience"].choices = [
                choice for choice in Activity.Audience.choices if choice[0] != "team"
            ]


class ActivityStatusForm(CleanInputMixin, forms.Form):
    ACTIONS = {
        "publish": _("Publish: open it for sign-up"),
        "cancel": _("Cancel the activity (everyone signed up is told)"),
        "close": _("Close: finish it and approve the pending hours"),
    }

    action = forms.ChoiceField(label=_("Action"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=300,
        required=False,
        help_text=_("Needed to cancel; everyone signed up reads it."),
    )

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = []
        if perms.may_manage(user, obj):
            if obj.status == Activity.Status.DRAFT:
                allowed = ["publish", "cancel"]
            elif obj.status == Activity.Status.PUBLISHED:
                allowed = ["cancel", "close"]
        self.fields["action"].choices = [(key, self.ACTIONS[key]) for key in allowed]
        self.fields["action"].help_text = gettext("Now: %(status)s.") % {
            "status": obj.get_status_display()
        }
