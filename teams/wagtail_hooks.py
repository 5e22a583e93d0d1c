"""Wagtail admin for volunteers (a "Volunteers" menu): teams, skills, tasks, needs, hours.

State changes go through teams.services: creating a task, verifying, reopening, cancelling or
releasing it, deciding a need and reviewing hours are decision pages that call the services
(audit log and live events included). Tasks are never deleted (cancel them); service records
are never deleted either. Non-superuser staff see the tasks, needs and records of the
communities they staff, and the teams that serve those communities: the policies below say
which, and every view of every viewset applies them (communities.policies).
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import AdminDateTimeInput, Button
from wagtail.admin.widgets.button import MenuItem
from wagtail.permissions import register_permission_policy

from communities.models import Community, Membership
from communities.permissions import keep_urls, staffed_communities
from communities.policies import CommunityScopedPolicy, CommunityScopedViewSetMixin
from core.admin_views import ServiceFormMixin
from core.inputs import CleanInputMixin

from . import permissions as perms
from . import services
from .models import Need, ServiceRecord, Skill, Task, Team

# --- audit log ---------------------------------------------------------------------------------

LOG_ACTIONS = [
    ("linli.task.create", _("Create task"), _("Task created")),
    ("linli.task.claim", _("Claim task"), _("Task claimed")),
    ("linli.task.release", _("Release task"), _("Task released")),
    ("linli.task.dispatch", _("Give task to a team"), _("Task given to a team")),
    ("linli.task.update", _("Post task update"), _("Task update posted")),
    ("linli.task.verify", _("Verify task"), _("Task verified")),
    ("linli.task.reopen", _("Reopen task"), _("Task reopened")),
    ("linli.task.cancel", _("Cancel task"), _("Task cancelled")),
    ("linli.hours.log", _("Log hours"), _("Hours logged")),
    ("linli.hours.approve", _("Approve hours"), _("Hours approved")),
    ("linli.hours.decline", _("Decline hours"), _("Hours declined")),
    ("linli.team.request", _("Ask to join a team"), _("Asked to join the team")),
    ("linli.team.approve", _("Approve team member"), _("Team member approved")),
    ("linli.team.decline", _("Decline team member"), _("Team member declined")),
    ("linli.need.file", _("File a need"), _("Need filed")),
    (
        "linli.need.assisted",
        _("File a need for a resident"),
        _("Need filed by staff for a resident at the service station"),
    ),
    ("linli.need.accept", _("Accept need"), _("Need accepted")),
    ("linli.need.decline", _("Decline need"), _("Need declined")),
]


@hooks.register("register_log_actions")
def register_teams_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)


# --- permission policies -----------------------------------------------------------------------


class TaskPolicy(CommunityScopedPolicy):
    allowed = frozenset({"view", "add", "change"})


class NeedPolicy(CommunityScopedPolicy):
    def user_has_permission_for_instance(self, user, action, instance):
        # Deciding is the edit view: nobody decides a request they made or filed
        # (perms.may_decide_need).
        if action == "change" and perms.is_own_need(user, instance):
            return False
        return super().user_has_permission_for_instance(user, action, instance)


class ServiceRecordPolicy(CommunityScopedPolicy):
    community_lookup = "task__community"

    def user_has_permission_for_instance(self, user, action, instance):
        # Reviewing is the edit view: nobody reviews hours they served or logged
        # (perms.may_review_hours).
        if action == "change" and perms.is_own_hours_work(user, instance):
            return False
        return super().user_has_permission_for_instance(user, action, instance)


class TeamPolicy(CommunityScopedPolicy):
    """Teams serve several communities: staff of any of them manage the team."""

    allowed = frozenset({"view", "add", "change"})
    community_lookup = "communities"

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and perms.can_manage_team(user, instance)


task_policy = TaskPolicy(Task)
need_policy = NeedPolicy(Need)
record_policy = ServiceRecordPolicy(ServiceRecord)
team_policy = TeamPolicy(Team)
for _model, _policy in (
    (Task, task_policy),
    (Need, need_policy),
    (ServiceRecord, record_policy),
    (Team, team_policy),
):
    register_permission_policy(_model, _policy, exact_class=True)


# --- decision pages (one form on Wagtail's generic form template) -------------------------------


class DecisionView(
    ServiceFormMixin, BaseObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView
):
    """A form about one object whose valid submission calls a service."""

    permission_required = "change"
    template_name = "wagtailadmin/generic/form.html"
    index_url_name = None
    edit_url_name = None
    history_url_name = None
    header_icon = "tasks"
    submit_button_label = _("Save")

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(self.model._meta.verbose_name_plural),
            },
            {"url": "", "label": str(self.object)},
        ]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "obj": self.object, "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=self.request.path,
            submit_button_label=self.submit_button_label,
            object=self.object,
        )
        return context


# --- tasks -------------------------------------------------------------------------------------


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


class TaskCreateView(ServiceFormMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    model = Task
    permission_required = "add"
    template_name = "wagtailadmin/generic/form.html"
    form_class = TaskCreateForm
    index_url_name = None
    add_url_name = None
    edit_url_name = None
    header_icon = "tasks"
    page_title = _("New task")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": capfirst(_("tasks"))},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(action_url=reverse(self.add_url_name), submit_button_label=_("Create task"))
        return context

    def perform(self, form):
        data = form.cleaned_data
        task = services.create_task(
            actor=self.request.user,
            community=data["community"],
            title=data["title"],
            description=data["description"],
            location=data["location"],
            priority=data["priority"],
            required_skills=list(data["required_skills"]),
            sensitive=data["sensitive"],
            due_at=data["due_at"],
            team=data["team"],
        )
        return gettext("Task “%(title)s” created.") % {"title": task}


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


class TaskStatusView(DecisionView):
    model = Task
    form_class = TaskStatusForm
    page_title = _("Change the task's status")
    submit_button_label = _("Apply")

    def perform(self, form):
        action = form.cleaned_data["action"]
        reason = form.cleaned_data["reason"]
        actor, task = self.request.user, self.object
        if action == "verify":
            services.verify_task(actor=actor, task=task, note=reason)
        elif action == "reopen":
            services.reopen_task(actor=actor, task=task, reason=reason)
        elif action == "release":
            services.release_task(actor=actor, task=task, reason=reason)
        else:
            services.cancel_task(actor=actor, task=task, reason=reason)
        return gettext("The task was updated.")


class TaskFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Task.Status.choices)
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Task.Priority.choices)
    community = django_filters.ModelChoiceFilter(
        label=_("Community"),
        queryset=lambda request: staffed_communities(request.user if request else None),
    )
    sensitive = django_filters.BooleanFilter(label=_("Sensitive"))

    class Meta:
        model = Task
        fields = ["status", "priority", "community", "sensitive"]


class TaskIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("community", "team")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("Change status"),
                url=reverse("teams_task:status", args=[instance.pk]),
                icon_name="tasks",
                priority=15,
            )
        )
        return buttons


class TaskEditView(generic.EditView):
    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                _("Change status"),
                url=reverse("teams_task:status", args=[self.object.pk]),
                icon_name="tasks",
                priority=5,
            )
        )
        return buttons


class TaskViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Task
    icon = "tasks"
    menu_label = _("Tasks")
    add_to_admin_menu = False
    index_view_class = TaskIndexView
    add_view_class = TaskCreateView
    edit_view_class = TaskEditView
    copy_view_enabled = False
    list_display = ["title", "community", "status", "priority", "team", "sensitive", "created_at"]
    filterset_class = TaskFilterSet
    search_fields = ["title", "description"]
    ordering = ["-created_at"]
    # Content only: status and team change through the services (status page).
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("description"),
            FieldPanel("location"),
            FieldPanel("priority"),
            FieldPanel("due_at"),
            FieldPanel("sensitive"),
            FieldPanel("required_skills", widget=forms.CheckboxSelectMultiple),
        ]
    )

    def get_add_view_kwargs(self, **kwargs):
        return kwargs

    @property
    def status_view(self):
        return self.construct_view(TaskStatusView)

    def get_urlpatterns(self):
        keep = {"index", "index_results", "add", "edit", "history", "history_results", "usage"}
        return [
            *keep_urls(super().get_urlpatterns(), keep),
            path("status/<int:pk>/", self.status_view, name="status"),
        ]


# --- needs -------------------------------------------------------------------------------------


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


class NeedDecisionView(DecisionView):
    model = Need
    form_class = NeedDecisionForm
    page_title = _("Request for help")
    submit_button_label = _("Decide")
    header_icon = "help"

    def perform(self, form):
        data = form.cleaned_data
        if data["decision"] == "accept":
            task = services.accept_need(
                actor=self.request.user,
                need=self.object,
                title=data["title"],
                priority=data["priority"],
                team=data["team"],
            )
            return gettext("Accepted; task “%(title)s” created.") % {"title": task.title}
        services.decline_need(actor=self.request.user, need=self.object, reason=data["reason"])
        return gettext("The request was declined.")


class NeedIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("community", "requester")


class NeedFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Need.Status.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Need.Category.choices)
    assisted = django_filters.BooleanFilter(label=_("Filed for a resident"))

    class Meta:
        model = Need
        fields = ["status", "category", "assisted"]


class NeedViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Need
    icon = "help"
    menu_label = _("Requests for help")
    add_to_admin_menu = False
    index_view_class = NeedIndexView
    edit_view_class = NeedDecisionView
    copy_view_enabled = False
    list_display = ["__str__", "requester", "status", "private", "assisted", "created_at"]
    filterset_class = NeedFilterSet
    search_fields = ["description"]
    ordering = ["-created_at"]

    def get_add_view_kwargs(self, **kwargs):
        return kwargs

    def get_edit_view_kwargs(self, **kwargs):
        return kwargs

    def get_urlpatterns(self):
        keep = {"index", "index_results", "edit", "history", "history_results", "usage"}
        return keep_urls(super().get_urlpatterns(), keep)


# --- service records ---------------------------------------------------------------------------


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
            "task": obj.task.title,
            "team": obj.team.name,
            "note": obj.note,
        }
        day_hours = services.day_totals([obj]).get((obj.volunteer_id, obj.date))
        if day_hours is not None:
            self.fields["decision"].help_text += " " + gettext(
                "%(hours)s hours logged for this day in all (pending and approved)."
            ) % {"hours": services.hours_text(day_hours)}


class ReviewView(DecisionView):
    model = ServiceRecord
    form_class = ReviewForm
    page_title = _("Review hours")
    submit_button_label = _("Decide")
    header_icon = "time"

    def perform(self, form):
        if form.cleaned_data["decision"] == "approve":
            services.approve_hours(actor=self.request.user, record=self.object)
            return gettext("Hours approved.")
        services.decline_hours(
            actor=self.request.user, record=self.object, reason=form.cleaned_data["reason"]
        )
        return gettext("Hours declined.")


class ServiceRecordIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("volunteer", "team", "task")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The day's total of each listed person, for the reviewer: one query for the page.
        records = list(context.get("object_list") or [])
        totals = services.day_totals(records)
        for record in records:
            record.day_hours = totals.get((record.volunteer_id, record.date))
        return context


class ServiceRecordFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ServiceRecord.Status.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=ServiceRecord.Source.choices)

    class Meta:
        model = ServiceRecord
        fields = ["status", "source", "team"]


class ServiceRecordViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = ServiceRecord
    icon = "time"
    menu_label = _("Service hours")
    add_to_admin_menu = False
    index_view_class = ServiceRecordIndexView
    edit_view_class = ReviewView
    copy_view_enabled = False
    list_display = [
        "volunteer",
        "team",
        Column("task", label=_("Task"), accessor=lambda r: r.task.title),
        "date",
        "hours",
        Column(
            "day_hours",
            label=_("Hours that day (pending and approved)"),
            accessor=lambda r: (
                services.hours_text(r.day_hours) if getattr(r, "day_hours", None) else ""
            ),
        ),
        "status",
    ]
    filterset_class = ServiceRecordFilterSet
    search_fields = ["note"]
    ordering = ["-date", "-id"]

    def get_add_view_kwargs(self, **kwargs):
        return kwargs

    def get_edit_view_kwargs(self, **kwargs):
        return kwargs

    def get_urlpatterns(self):
        # Never deleted: no delete view; reviewed through the services.
        keep = {"index", "index_results", "edit", "history", "history_results", "usage"}
        return keep_urls(super().get_urlpatterns(), keep)


# --- teams and skills --------------------------------------------------------------------------


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


class TeamViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Team
    icon = "group"
    menu_label = _("Teams")
    add_to_admin_menu = False
    copy_view_enabled = False
    list_display = ["name", "active", "created_at"]
    list_filter = ["active", "skills"]
    search_fields = ["name", "description"]
    ordering = ["name"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("description"),
            FieldPanel("skills", widget=forms.CheckboxSelectMultiple),
            FieldPanel("communities"),
            FieldPanel("active"),
            InlinePanel(
                "memberships",
                label=_("Members"),
                panels=[FieldPanel("user"), FieldPanel("role"), FieldPanel("status")],
            ),
        ],
        base_form_class=TeamForm,
    )

    def get_urlpatterns(self):
        keep = {"index", "index_results", "add", "edit", "history", "history_results", "usage"}
        return keep_urls(super().get_urlpatterns(), keep)


class SkillViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Skill
    icon = "pick"
    menu_label = _("Skills")
    add_to_admin_menu = False
    list_display = ["name", "slug"]
    form_fields = ["slug", "name"]
    copy_view_enabled = False


class VolunteersViewSetGroup(ModelViewSetGroup):
    menu_label = _("Volunteers")
    menu_icon = "group"
    menu_order = 260
    items = (
        TaskViewSet("teams_task"),
        NeedViewSet("teams_need"),
        ServiceRecordViewSet("teams_hours"),
        TeamViewSet("teams_team"),
        SkillViewSet("teams_skill"),
    )


@hooks.register("register_admin_viewset")
def register_volunteers_group():
    return VolunteersViewSetGroup()
