"""The admin's "Volunteers" menu: tasks, requests for help, service hours, teams and skills.

Every view of every viewset applies the policies of teams.admin.policies
(communities.admin.scope). Tasks and service records are never deleted: no delete views.
"""

from django import forms
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from communities.admin.columns import yes_no
from communities.admin.scope import CommunityScopedViewSetMixin
from core.admin_views import ServiceFormViewSetMixin

from .. import services
from ..models import Need, ServiceRecord, Skill, Task, Team
from .filters import NeedFilterSet, ServiceRecordFilterSet, TaskFilterSet
from .forms import TeamForm
from .views import (
    NeedDecisionView,
    NeedIndexView,
    ReviewView,
    ServiceRecordIndexView,
    TaskCreateView,
    TaskEditView,
    TaskIndexView,
    TaskStatusView,
)


class TaskViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Task
    icon = "tasks"
    menu_label = _("Tasks")
    add_to_admin_menu = False
    index_view_class = TaskIndexView
    add_view_class = TaskCreateView
    edit_view_class = TaskEditView
    copy_view_enabled = False
    list_display = [
        "title",
        "community",
        "status",
        "priority",
        "team",
        yes_no(Task, "sensitive"),
        "created_at",
    ]
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

    url_names = {"index", "index_results", "add", "edit", "history", "history_results", "usage"}

    def get_add_view_kwargs(self, **kwargs):
        # The add view is a service form; the edit view is Wagtail's, with its model form.
        return kwargs

    @property
    def status_view(self):
        return self.construct_view(TaskStatusView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("status/<int:pk>/", self.status_view, name="status"),
        ]


class NeedViewSet(CommunityScopedViewSetMixin, ServiceFormViewSetMixin, ModelViewSet):
    model = Need
    icon = "help"
    menu_label = _("Requests for help")
    add_to_admin_menu = False
    index_view_class = NeedIndexView
    edit_view_class = NeedDecisionView
    copy_view_enabled = False
    list_display = [
        "__str__",
        "requester",
        "status",
        yes_no(Need, "private"),
        yes_no(Need, "assisted"),
        "created_at",
    ]
    filterset_class = NeedFilterSet
    search_fields = ["description"]
    ordering = ["-created_at"]

    url_names = {"index", "index_results", "edit", "history", "history_results", "usage"}


class ServiceRecordViewSet(CommunityScopedViewSetMixin, ServiceFormViewSetMixin, ModelViewSet):
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
        Column("task", label=_("Task or activity"), accessor=lambda r: r.what),
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

    # Never deleted: no delete view; reviewed through the services.
    url_names = {"index", "index_results", "edit", "history", "history_results", "usage"}


class TeamViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Team
    icon = "group"
    menu_label = _("Teams")
    add_to_admin_menu = False
    copy_view_enabled = False
    list_display = ["name", yes_no(Team, "active"), "created_at"]
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

    url_names = {"index", "index_results", "add", "edit", "history", "history_results", "usage"}


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
