"""Volunteering's admin pages.

State changes go through teams.services: creating a task, verifying, reopening, cancelling or
releasing it, deciding a need and reviewing hours are decision pages that call the services
(audit log and live events included).
"""

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import generic
from wagtail.admin.widgets import Button
from wagtail.admin.widgets.button import MenuItem

from core.admin_views import NewObjectFormView, ObjectFormView, ServiceFormMixin

from .. import selectors, services
from ..models import Need, ServiceRecord, Task
from .forms import NeedDecisionForm, ReviewForm, TaskCreateForm, TaskStatusForm


class TaskCreateView(ServiceFormMixin, NewObjectFormView):
    model = Task
    form_class = TaskCreateForm
    header_icon = "tasks"
    page_title = _("New task")
    submit_button_label = _("Create task")

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


class TaskStatusView(ObjectFormView):
    model = Task
    header_icon = "tasks"
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


class NeedDecisionView(ObjectFormView):
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


class ReviewView(ObjectFormView):
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
        selectors.with_day_hours(records=context.get("object_list") or [])
        return context
