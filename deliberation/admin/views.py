"""The council's admin pages: proposals, the moderation queue, meetings and council rules.

Proposals, comments and reports change only through `deliberation.services`: the pages call them
(hide / restore with a reason, publish, return, open the vote, decide).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin

from communities.permissions import is_staff_of, scoped_to_staffed, staffs_any_community
from core.admin_views import (
    NewObjectFormView,
    ObjectFormMixin,
    ObjectFormView,
    ServiceFormMixin,
)
from core.errors import NotAllowed

from .. import selectors, services
from ..models import Comment, Council, Meeting, Proposal, Report
from ..services.councils import RULE_FIELDS
from .forms import (
    CouncilCreateForm,
    CouncilRulesForm,
    MeetingRecordForm,
    MeetingScheduleForm,
    ModerationForm,
    ProposalActionForm,
)


class SummaryFormView(ObjectFormView):
    """A form about one object with a summary of the object above it."""

    template_name = "deliberation/admin/object_form.html"
    summary_template_name = None
    header_icon = "group"
    submit_button_label = _("Apply")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            summary_template_name=self.summary_template_name,
            history_url=reverse(self.history_url_name, args=[self.object.pk])
            if self.history_url_name
            else None,
        )
        return context


class ProposalActionView(SummaryFormView):
    model = Proposal
    form_class = ProposalActionForm
    page_title = _("Proposal")
    summary_template_name = "deliberation/admin/proposal_summary.html"
    header_icon = "doc-full"

    def get_base_object_queryset(self):
        return Proposal.objects.select_related("council__community", "author", "task__team")

    def get_success_url(self):
        return self.request.path

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        proposal = self.object
        context.update(
            tally=selectors.count_votes(proposal),
            open_reports=proposal.reports.filter(status=Report.Status.OPEN).count(),
            comments_count=proposal.comments.count(),
            has_actions=bool(context["form"].fields["action"].choices),
        )
        return context

    def perform(self, form):
        data = {"reason": "", "closes_at": None, "outcome": "", **form.cleaned_data}
        actor, proposal = self.request.user, self.object
        action = data["action"]
        if action == "publish":
            services.publish_proposal(actor=actor, proposal=proposal)
            return gettext("Published.")
        if action == "return":
            services.return_proposal(actor=actor, proposal=proposal, reason=data["reason"])
            return gettext("Returned to the author.")
        if action == "open_voting":
            services.open_voting(actor=actor, proposal=proposal, closes_at=data["closes_at"])
            return gettext("Voting opened.")
        if action == "assisted_vote":
            services.cast_vote(
                actor=actor, proposal=proposal, choice=data["choice"], voter=data["voter"]
            )
            return gettext("Vote recorded for %(name)s.") % {
                "name": data["voter"].get_display_name()
            }
        if action == "decide":
            services.decide_proposal(
                actor=actor,
                proposal=proposal,
                outcome=data["outcome"],
                required_skills=data.get("required_skills"),
                team=data.get("team"),
            )
            return gettext("Decision recorded: %(status)s.") % {
                "status": proposal.get_status_display()
            }
        if action == "hide":
            services.hide_proposal(actor=actor, proposal=proposal, reason=data["reason"])
            return gettext("Hidden.")
        services.restore_proposal(actor=actor, proposal=proposal, reason=data["reason"])
        return gettext("Shown again.")


class ProposalIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("council__community", "author")


def to_review(queryset, user, community_lookup, *ordering):
    """The objects of `queryset` in the user's communities with open reports, or hidden."""
    open_reports = Count("reports", filter=Q(reports__status=Report.Status.OPEN))
    return (
        scoped_to_staffed(queryset, user, community_lookup)
        .annotate(open_reports=open_reports)
        .filter(Q(open_reports__gt=0) | Q(hidden=True))
        .order_by("-open_reports", *ordering)
    )


def proposals_to_review(user):
    return to_review(
        Proposal.objects.select_related("council__community", "author"),
        user,
        "council__community",
        "-updated_at",
    )


def proposals_waiting(user):
    """Submitted proposals in the user's communities, oldest first: staff publish or return them."""
    return scoped_to_staffed(
        Proposal.objects.filter(status=Proposal.Status.SUBMITTED).select_related(
            "council__community", "author"
        ),
        user,
        "council__community",
    ).order_by("submitted_at", "created_at")


def comments_to_review(user):
    return to_review(
        Comment.objects.select_related("proposal__council__community", "author"),
        user,
        "proposal__council__community",
        "-created_at",
    )


class StaffOnlyMixin:
    """Refuses whoever staffs no community (the pages' objects are scoped further)."""

    def dispatch(self, request, *args, **kwargs):
        if not staffs_any_community(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ModerationIndexView(StaffOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "deliberation/admin/moderation_index.html"
    page_title = _("Moderation queue")
    header_icon = "warning"
    url_namespace = None
    # Submitted proposals are published or returned on the proposals viewset's action page.
    submitted_url_name = "council_proposal:edit"
    limit = 100

    def get_breadcrumbs_items(self):
        # Without its own item the slim header names the page "Home" (only the sr-only h1 has it).
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        open_reports = Report.objects.filter(status=Report.Status.OPEN)
        on_proposals = open_reports.filter(proposal__isnull=False)
        on_comments = open_reports.filter(comment__isnull=False)
        open_report_count = (
            scoped_to_staffed(on_proposals, user, "proposal__council__community").count()
            + scoped_to_staffed(on_comments, user, "comment__proposal__council__community").count()
        )
        context.update(
            submitted=list(proposals_waiting(user)[: self.limit]),
            open_report_count=open_report_count,
            proposals=list(proposals_to_review(user)[: self.limit]),
            comments=list(comments_to_review(user)[: self.limit]),
            submitted_url=self.submitted_url_name,
            proposal_url=f"{self.url_namespace}:proposal",
            comment_url=f"{self.url_namespace}:comment",
        )
        return context


class ModerationReviewView(
    StaffOnlyMixin,
    ServiceFormMixin,
    ObjectFormMixin,
    BaseObjectMixin,
    WagtailAdminTemplateMixin,
    FormView,
):
    """A report or hidden object in the queue: hide it or show it again.

    Not a SummaryFormView: the queue is one viewset over two models with no listing of their
    own to lead back to, and its pages are for staff of any community (the object is scoped)."""

    template_name = "deliberation/admin/object_form.html"
    form_class = ModerationForm
    page_title = _("Review")
    header_icon = "warning"
    submit_button_label = _("Decide")
    summary_template_name = "deliberation/admin/moderation_summary.html"
    url_namespace = None

    def get_success_url(self):
        return reverse(f"{self.url_namespace}:index")

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": self.get_success_url(), "label": gettext("Moderation queue")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            is_comment=isinstance(self.object, Comment),
            reports=list(self.object.reports.select_related("reporter").order_by("-created_at")),
            summary_template_name=self.summary_template_name,
        )
        return context

    def perform(self, form):
        data = form.cleaned_data
        actor, obj = self.request.user, self.object
        if isinstance(obj, Comment):
            if data["action"] == "hide":
                services.hide_comment(actor=actor, comment=obj, reason=data["reason"])
            else:
                services.restore_comment(actor=actor, comment=obj, reason=data["reason"])
        elif data["action"] == "hide":
            services.hide_proposal(actor=actor, proposal=obj, reason=data["reason"])
        else:
            services.restore_proposal(actor=actor, proposal=obj, reason=data["reason"])
        return gettext("Hidden.") if data["action"] == "hide" else gettext("Shown again.")


class ProposalModerationView(ModerationReviewView):
    model = Proposal


class CommentModerationView(ModerationReviewView):
    model = Comment


class MeetingScheduleView(ServiceFormMixin, NewObjectFormView):
    model = Meeting
    form_class = MeetingScheduleForm
    header_icon = "group"
    page_title = _("Schedule a council meeting")
    submit_button_label = _("Schedule")

    def perform(self, form):
        data = form.cleaned_data
        meeting = services.schedule_meeting(
            actor=self.request.user,
            council=data["council"],
            starts_at=data["starts_at"],
            place=data["place"],
            title=data["title"],
            agenda=list(data["agenda"]),
        )
        return gettext("Meeting “%(meeting)s” scheduled.") % {"meeting": meeting}


class MeetingRecordView(SummaryFormView):
    model = Meeting
    form_class = MeetingRecordForm
    page_title = _("Council meeting")
    submit_button_label = _("Save")
    summary_template_name = "deliberation/admin/meeting_summary.html"
    header_icon = "date"

    def perform(self, form):
        data = form.cleaned_data
        actor, meeting = self.request.user, self.object
        with transaction.atomic():
            services.set_agenda(actor=actor, meeting=meeting, proposals=list(data["agenda"]))
            services.record_attendance(
                actor=actor,
                meeting=meeting,
                attendees=list(data["attendees"]),
                other_attendees=data["other_attendees"],
                attendance_count=data["attendance_count"],
            )
            if data["minutes"].strip():
                services.record_minutes(
                    actor=actor,
                    meeting=meeting,
                    minutes=data["minutes"],
                    held=data["status"] == Meeting.Status.HELD,
                )
            if data["status"] == Meeting.Status.CANCELLED and meeting.status != "cancelled":
                services.cancel_meeting(actor=actor, meeting=meeting)
            kept = {p.pk: p for p in data["agenda"]}
            for name, value in data.items():
                if name.startswith("decision_") and value.strip():
                    proposal = kept.get(int(name.removeprefix("decision_")))
                    if proposal is not None:
                        services.record_decision(
                            actor=actor, meeting=meeting, proposal=proposal, decision=value
                        )
        return gettext("Meeting saved.")


class MeetingIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("council__community")


class CouncilRulesView(SummaryFormView):
    model = Council
    form_class = CouncilRulesForm
    page_title = _("Council rules")
    submit_button_label = _("Save rules")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs

    def perform(self, form):
        rules = {name: form.cleaned_data[name] for name in RULE_FIELDS}
        council = Council.objects.get(pk=self.object.pk)
        services.update_council(actor=self.request.user, council=council, **rules)
        return gettext("Rules saved.")


class CouncilCreateView(ServiceFormMixin, NewObjectFormView):
    model = Council
    form_class = CouncilCreateForm
    header_icon = "group"
    page_title = _("New council")
    submit_button_label = _("Create council")

    def perform(self, form):
        data = form.cleaned_data
        if not is_staff_of(self.request.user, data["community"]):
            raise NotAllowed()
        with transaction.atomic():
            council = services.ensure_council(community=data["community"])
            services.update_council(
                actor=self.request.user,
                council=council,
                **{name: data[name] for name in RULE_FIELDS},
            )
        return gettext("Council of %(community)s created.") % {"community": data["community"]}


class CouncilIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("community")
