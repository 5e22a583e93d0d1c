"""The forms of volunteering's admin pages: each valid submission calls teams.services."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateTimeInput

from communities.models import Community, Membership
from communities.permissions import staffed_communities
from core.inputs import CleanInputMixin

from .. import permissions as perms
from .. import selectors, services
from ..models import Skill, Task, Team


class TaskCreateForm(CleanInputMixin, forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, initial=Task.Priority.NORMAL
    )
    required_skills = forms.ModelMultipleChoiceField(
        label=_("Required skills"),
        queryset=Skill.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sensitive = forms.BooleanField(
        label=_("Sensitive"),
        required=False,
        help_text=_("Details only for community staff and the team that takes the task."),
    )
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=AdminDateTimeInput)
    team = forms.ModelChoiceField(
        label=_("Dispatch to team"),
        queryset=Team.objects.filter(active=True),
        required=False,
        help_text=_("Leave empty to open the task to every team with the skills."),
    )

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = staffed_communities(user).filter(
            kind=Community.Kind.COMMUNITY
        )


class TaskStatusForm(CleanInputMixin, forms.Form):
    ACTIONS = {
        "verify": (_("Verify: the work is done well"), perms.can_verify),
        "reopen": (_("Reopen: open again, no team holds it"), perms.can_reopen),
        "release": (_("Release: take it back from the team"), perms.can_release),
        "cancel": (_("Cancel the task"), perms.can_cancel),
    }

    action = forms.ChoiceField(label=_("Action"), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Note or reason"), max_length=300, required=False)

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(key, label) for key, (label, check) in self.ACTIONS.items() if check(user, obj)]
        self.fields["action"].choices = choices
        team = obj.team.name if obj.team_id else gettext("no team")
        self.fields["action"].help_text = gettext("Now: %(status)s, %(team)s.") % {
            "status": obj.get_status_display(),
            "team": team,
        }


class NeedDecisionForm(CleanInputMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("accept", _("Accept: create a task for a volunteer team")),
            ("decline", _("Decline")),
        ],
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label=_("Task title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for a title from the category."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, initial=Task.Priority.NORMAL
    )
    team = forms.ModelChoiceField(
        label=_("Dispatch to team"), queryset=Team.objects.filter(active=True), required=False
    )
    reason = forms.CharField(label=_("Reason for declining"), max_length=300, required=False)

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].help_text = gettext(
            "%(requester)s, %(category)s%(private)s: %(description)s"
        ) % {
            "requester": obj.requester.get_display_name(),
            "category": obj.get_category_display(),
            "private": gettext(" (private)") if obj.private else "",
            "description": obj.description,
        }


class ReviewForm(CleanInputMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason for declining"), max_length=300, required=False)

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].help_text = gettext(
            "%(volunteer)s, %(hours)s h on %(date)s for “%(task)s” (%(team)s). %(note)s"
        ) % {
            "volunteer": obj.volunteer.get_display_name(),
            "hours": obj.hours,
            "date": obj.date,
            "task": obj.what,
            "team": obj.team.name if obj.team_id else obj.community.name,
            "note": obj.note,
        }
        day_hours = selectors.with_day_hours(records=[obj])[0].day_hours
        if day_hours is not None:
            self.fields["decision"].help_text += " " + gettext(
                "%(hours)s hours logged for this day in all (pending and approved)."
            ) % {"hours": services.hours_text(day_hours)}


class TeamForm(CleanInputMixin, WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if user is not None:
            self._refuse_own_membership(user)
        self._kept_communities = []
        if "communities" in self.fields and user is not None and not user.is_superuser:
            staffed = staffed_communities(user)
            self.fields["communities"].queryset = staffed
            self.fields["communities"].required = True
            if self.instance.pk:
                # Communities this staff member does not run stay as they are.
                self._kept_communities = list(
                    self.instance.communities.exclude(pk__in=staffed.values("pk"))
                )
            self._offer_only_people_in_scope(staffed)

    def _offer_only_people_in_scope(self, staffed):
        """The members' "user" choices: the people of the communities the staff member runs
        and the team's own members, never a list of everyone on the platform."""
        in_scope = Q(
            memberships__community__in=staffed, memberships__status=Membership.Status.VERIFIED
        )
        if self.instance.pk:
            in_scope |= Q(team_memberships__team=self.instance)
        people = get_user_model().objects.filter(in_scope).distinct()
        formset = self.formsets.get("memberships")
        if formset is None:
            return

        class MemberForm(formset.form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["user"].queryset = people

        # The formset builds its forms (and the empty one for "add") from this class.
        formset.form = MemberForm

    def _refuse_own_membership(self, user):
        """Nobody adds themselves to the team or changes their own row here: that would be
        approving one's own membership (perms.is_own_team_membership). Removing it is leaving."""
        formset = self.formsets.get("memberships")
        if formset is None:
            return

        class MemberForm(formset.form):
            def clean(self):
                cleaned = super().clean()
                person = cleaned.get("user")
                person_id = person.pk if person is not None else self.instance.user_id
                if (
                    self.has_changed()
                    and not cleaned.get("DELETE")
                    and perms.is_own_team_membership(user, person_id)
                ):
                    raise ValidationError(gettext("Nobody decides on their own team membership."))
                return cleaned

        formset.form = MemberForm

    def clean_communities(self):
        return [*self.cleaned_data["communities"], *self._kept_communities]

    class Meta:
        model = Team
        fields = ["name", "description", "skills", "communities", "active"]
