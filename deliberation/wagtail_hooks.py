"""Wagtail admin for the residents' council ("Council" menu) and its audit log actions.

Proposals, comments and reports change only through `deliberation.services`: the admin pages
call them (hide / restore with a reason, publish, return, open the vote, decide). Staff see
only the councils of the communities they staff; superusers see everything. The policies
below say which objects, and every view of every viewset applies them (communities.policies).
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import AdminDateTimeInput
from wagtail.log_actions import LogFormatter
from wagtail.permissions import register_permission_policy

from communities.models import Community, Membership
from communities.permissions import (
    is_staff_of,
    keep_urls,
    scoped_to_staffed,
    staffed_communities,
    staffs_any_community,
)
from communities.policies import CommunityScopedPolicy, CommunityScopedViewSetMixin
from core.admin_views import ServiceFormMixin
from core.errors import NotAllowed
from core.inputs import CleanInputMixin

from . import permissions as perms
from . import services
from .models import Category, Comment, Council, Meeting, Proposal, Report, Vote

LOG_ACTIONS = {
    "linli.proposal.create": (_("Create proposal"), _("Proposal created")),
    "linli.proposal.assisted": (
        _("File a proposal for a resident"),
        _("Proposal filed by staff for a resident at the service station"),
    ),
    "linli.proposal.edit": (_("Edit proposal"), _("Proposal edited")),
    "linli.proposal.submit": (_("Submit proposal"), _("Proposal submitted")),
    "linli.proposal.publish": (_("Publish proposal"), _("Proposal published")),
    "linli.proposal.withdraw": (_("Withdraw proposal"), _("Proposal withdrawn")),
    "linli.proposal.restore": (_("Restore proposal"), _("Proposal shown again")),
    "linli.proposal.voting_open": (_("Open the vote"), _("Voting opened")),
    "linli.proposal.follow": (_("Follow proposal"), _("Proposal followed")),
    "linli.proposal.unfollow": (_("Unfollow proposal"), _("Proposal unfollowed")),
    "linli.comment.create": (_("Comment"), _("Comment posted")),
    "linli.comment.restore": (_("Restore comment"), _("Comment shown again")),
    "linli.report.create": (_("Report"), _("Reported to staff")),
    "linli.meeting.schedule": (_("Schedule meeting"), _("Meeting scheduled")),
    "linli.meeting.agenda": (_("Change agenda"), _("Agenda changed")),
    "linli.meeting.attendance": (_("Record attendance"), _("Attendance recorded")),
    "linli.meeting.minutes": (_("Record minutes"), _("Minutes recorded")),
    "linli.meeting.decision": (_("Record decision"), _("Decision recorded")),
    "linli.meeting.cancel": (_("Cancel meeting"), _("Meeting cancelled")),
    "linli.council.rules": (_("Change council rules"), _("Council rules changed")),
}


class ReasonFormatter(LogFormatter):
    """'<message>: <reason>' when the entry carries a reason."""

    message = ""

    def format_message(self, log_entry):
        reason = (log_entry.data or {}).get("reason")
        if reason:
            return gettext("%(message)s: %(reason)s") % {
                "message": str(self.message),
                "reason": reason,
            }
        return str(self.message)


def _reason_formatter(label, message):
    return type("_ReasonFormatter", (ReasonFormatter,), {"label": label, "message": message})


@hooks.register("register_log_actions")
def register_council_log_actions(actions):
    for action, (label, message) in LOG_ACTIONS.items():
        actions.register_action(action, label, message)
    actions.register_action("linli.proposal.return")(
        _reason_formatter(_("Return proposal"), _("Proposal returned to its author"))
    )
    actions.register_action("linli.proposal.hide")(
        _reason_formatter(_("Hide proposal"), _("Proposal hidden"))
    )
    actions.register_action("linli.comment.hide")(
        _reason_formatter(_("Hide comment"), _("Comment hidden"))
    )

    @actions.register_action("linli.proposal.decide")
    class DecideFormatter(LogFormatter):
        label = _("Record decision")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            tally = data.get("tally") or {}
            status = {"accepted": gettext("accepted"), "rejected": gettext("not accepted")}.get(
                data.get("status"), data.get("status", "?")
            )
            return gettext(
                "Decided: %(status)s (%(support)s support, %(oppose)s oppose, %(abstain)s abstain)"
            ) % {
                "status": status,
                "support": tally.get("support", 0),
                "oppose": tally.get("oppose", 0),
                "abstain": tally.get("abstain", 0),
            }

    @actions.register_action("linli.vote.cast")
    class VoteFormatter(LogFormatter):
        label = _("Vote")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            return gettext("Vote cast: %(choice)s") % {"choice": data.get("choice", "?")}

    @actions.register_action("linli.vote.assisted")
    class AssistedVoteFormatter(LogFormatter):
        label = _("Record a vote for a resident")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            return gettext("Vote recorded for resident #%(voter)s: %(choice)s") % {
                "voter": data.get("voter", "?"),
                "choice": data.get("choice", "?"),
            }


# --- permission policies -----------------------------------------------------------------------


class CouncilScopedPolicy(CommunityScopedPolicy):
    """Staff act on the council objects of the communities they staff; nobody deletes here."""

    community_lookup = "council__community"


class CouncilPolicy(CouncilScopedPolicy):
    allowed = frozenset({"view", "add", "change"})
    community_lookup = "community"


class MeetingPolicy(CouncilScopedPolicy):
    allowed = frozenset({"view", "add", "change"})


class CommentPolicy(CouncilScopedPolicy):
    community_lookup = "proposal__council__community"


proposal_policy = CouncilScopedPolicy(Proposal)
council_policy = CouncilPolicy(Council)
meeting_policy = MeetingPolicy(Meeting)
comment_policy = CommentPolicy(Comment)
for _model, _policy in (
    (Proposal, proposal_policy),
    (Council, council_policy),
    (Meeting, meeting_policy),
    (Comment, comment_policy),
):
    register_permission_policy(_model, _policy, exact_class=True)


# --- generic pages ------------------------------------------------------------------------------


class ObjectFormView(
    ServiceFormMixin, BaseObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView
):
    """A form about one object, on Wagtail's form template with a summary above it."""

    permission_required = "change"
    template_name = "deliberation/admin/object_form.html"
    summary_template_name = None
    index_url_name = None
    edit_url_name = None
    history_url_name = None
    inspect_url_name = None
    header_icon = "group"
    submit_button_label = _("Apply")

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        items = list(self.breadcrumbs_items)
        if self.index_url_name:
            items.append(
                {
                    "url": reverse(self.index_url_name),
                    "label": capfirst(self.model._meta.verbose_name_plural),
                }
            )
        items.append({"url": "", "label": str(self.object)})
        return items

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "obj": self.object, "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=self.request.path,
            submit_button_label=self.submit_button_label,
            object=self.object,
            summary_template_name=self.summary_template_name,
            history_url=reverse(self.history_url_name, args=[self.object.pk])
            if self.history_url_name
            else None,
        )
        return context


class NewObjectView(ServiceFormMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    permission_required = "add"
    template_name = "wagtailadmin/generic/form.html"
    index_url_name = None
    add_url_name = None
    edit_url_name = None
    header_icon = "group"
    submit_button_label = _("Save")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(self.model._meta.verbose_name_plural),
            },
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse(self.add_url_name), submit_button_label=self.submit_button_label
        )
        return context


# --- proposals ---------------------------------------------------------------------------------


class ProposalActionForm(CleanInputMixin, forms.Form):
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
        return data


class ProposalActionView(ObjectFormView):
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
            tally=services.count_votes(proposal),
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
            services.decide_proposal(actor=actor, proposal=proposal, outcome=data["outcome"])
            return gettext("Decision recorded: %(status)s.") % {
                "status": proposal.get_status_display()
            }
        if action == "hide":
            services.hide_proposal(actor=actor, proposal=proposal, reason=data["reason"])
            return gettext("Hidden.")
        services.restore_proposal(actor=actor, proposal=proposal, reason=data["reason"])
        return gettext("Shown again.")


class ProposalFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Proposal.Status.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    community = django_filters.ModelChoiceFilter(
        label=_("Community"),
        field_name="council__community",
        queryset=lambda request: staffed_communities(request.user if request else None),
    )
    hidden = django_filters.BooleanFilter(label=_("Hidden"))
    assisted = django_filters.BooleanFilter(label=_("Filed for a resident"))

    class Meta:
        model = Proposal
        fields = ["status", "category", "community", "hidden", "assisted"]


class ProposalIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("council__community", "author")


class ProposalViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Proposal
    icon = "doc-full"
    menu_label = _("Proposals")
    add_to_admin_menu = False
    index_view_class = ProposalIndexView
    edit_view_class = ProposalActionView
    copy_view_enabled = False
    list_display = [
        "title",
        "council",
        "status",
        "category",
        "hidden",
        "author",
        "assisted",
        "created_at",
    ]
    filterset_class = ProposalFilterSet
    search_fields = ["title", "body", "location"]
    ordering = ["-created_at"]
    permission_policy = proposal_policy

    def get_add_view_kwargs(self, **kwargs):
        return kwargs

    def get_edit_view_kwargs(self, **kwargs):
        return kwargs

    def get_urlpatterns(self):
        keep = {"index", "index_results", "edit", "history", "history_results"}
        return keep_urls(super().get_urlpatterns(), keep)


# --- moderation queue ---------------------------------------------------------------------------


def proposals_to_review(user):
    open_reports = Count("reports", filter=Q(reports__status=Report.Status.OPEN))
    return (
        scoped_to_staffed(
            Proposal.objects.select_related("council__community", "author"),
            user,
            "council__community",
        )
        .annotate(open_reports=open_reports)
        .filter(Q(open_reports__gt=0) | Q(hidden=True))
        .order_by("-open_reports", "-updated_at")
    )


def comments_to_review(user):
    open_reports = Count("reports", filter=Q(reports__status=Report.Status.OPEN))
    return (
        scoped_to_staffed(
            Comment.objects.select_related("proposal__council__community", "author"),
            user,
            "proposal__council__community",
        )
        .annotate(open_reports=open_reports)
        .filter(Q(open_reports__gt=0) | Q(hidden=True))
        .order_by("-open_reports", "-created_at")
    )


class ModerationIndexView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "deliberation/admin/moderation_index.html"
    page_title = _("Moderation queue")
    header_icon = "warning"
    url_namespace = None
    limit = 100

    def dispatch(self, request, *args, **kwargs):
        if not staffs_any_community(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            proposals=list(proposals_to_review(user)[: self.limit]),
            comments=list(comments_to_review(user)[: self.limit]),
            proposal_url=f"{self.url_namespace}:proposal",
            comment_url=f"{self.url_namespace}:comment",
        )
        return context


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


class ModerationReviewView(ServiceFormMixin, BaseObjectMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "deliberation/admin/object_form.html"
    form_class = ModerationForm
    page_title = _("Review")
    header_icon = "warning"
    submit_button_label = _("Decide")
    summary_template_name = "deliberation/admin/moderation_summary.html"
    url_namespace = None

    def dispatch(self, request, *args, **kwargs):
        if not staffs_any_community(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self):
        return reverse(f"{self.url_namespace}:index")

    def get_page_subtitle(self):
        return str(self.object)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "obj": self.object, "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=self.request.path,
            submit_button_label=self.submit_button_label,
            object=self.object,
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


class ModerationMenuItem(MenuItem):
    def is_shown(self, request):
        return staffs_any_community(request.user)


class ModerationViewSet(CommunityScopedViewSetMixin, ViewSet):
    icon = "warning"
    menu_label = _("Moderation queue")
    menu_item_class = ModerationMenuItem

    def get_urlpatterns(self):
        def view(view_class):
            return self.construct_view(view_class, url_namespace=self.url_namespace)

        return [
            path("", view(ModerationIndexView), name="index"),
            path("proposal/<int:pk>/", view(ProposalModerationView), name="proposal"),
            path("comment/<int:pk>/", view(CommentModerationView), name="comment"),
        ]


# --- meetings ----------------------------------------------------------------------------------


def _agenda_choices(user, council=None):
    qs = scoped_to_staffed(
        Proposal.objects.select_related("council__community").exclude(
            status__in=[Proposal.Status.DRAFT, Proposal.Status.WITHDRAWN]
        ),
        user,
        "council__community",
    )
    return qs.filter(council=council) if council is not None else qs


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


class MeetingScheduleView(NewObjectView):
    model = Meeting
    form_class = MeetingScheduleForm
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


class MeetingRecordView(ObjectFormView):
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


class MeetingViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Meeting
    icon = "date"
    menu_label = _("Meetings")
    add_to_admin_menu = False
    index_view_class = MeetingIndexView
    add_view_class = MeetingScheduleView
    edit_view_class = MeetingRecordView
    copy_view_enabled = False
    list_display = ["__str__", "council", "starts_at", "place", "status", "attendance_count"]
    list_filter = ["status"]
    search_fields = ["title", "place", "minutes"]
    ordering = ["-starts_at"]
    permission_policy = meeting_policy

    def get_add_view_kwargs(self, **kwargs):
        return kwargs

    def get_edit_view_kwargs(self, **kwargs):
        return kwargs

    def get_urlpatterns(self):
        keep = {"index", "index_results", "add", "edit", "history", "history_results"}
        return keep_urls(super().get_urlpatterns(), keep)


# --- council rules -----------------------------------------------------------------------------

RULE_FIELDS = [
    "name",
    "voters",
    "quorum_kind",
    "quorum_votes",
    "quorum_percent",
    "pass_percent",
    "voting_days",
    "hide_tally",
]


class CouncilRulesForm(CleanInputMixin, forms.ModelForm):
    class Meta:
        model = Council
        fields = RULE_FIELDS

    def __init__(self, *args, user=None, obj=None, **kwargs):
        super().__init__(*args, instance=obj, **kwargs)


class CouncilRulesView(ObjectFormView):
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


class CouncilCreateForm(CleanInputMixin, forms.ModelForm):
    class Meta:
        model = Council
        fields = ["community", *RULE_FIELDS]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = staffed_communities(user).filter(
            kind=Community.Kind.COMMUNITY, council__isnull=True
        )


class CouncilCreateView(NewObjectView):
    model = Council
    form_class = CouncilCreateForm
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


class CouncilViewSet(CommunityScopedViewSetMixin, ModelViewSet):
    model = Council
    icon = "cogs"
    menu_label = _("Council rules")
    add_to_admin_menu = False
    index_view_class = CouncilIndexView
    add_view_class = CouncilCreateView
    edit_view_class = CouncilRulesView
    copy_view_enabled = False
    list_display = [
        "__str__",
        "community",
        "voters",
        "quorum_kind",
        "quorum_votes",
        "pass_percent",
        "voting_days",
        "hide_tally",
    ]
    ordering = ["community__path"]
    permission_policy = council_policy

    def get_add_view_kwargs(self, **kwargs):
        return kwargs

    def get_edit_view_kwargs(self, **kwargs):
        return kwargs

    def get_urlpatterns(self):
        keep = {"index", "index_results", "add", "edit", "history", "history_results"}
        return keep_urls(super().get_urlpatterns(), keep)


class CouncilViewSetGroup(ViewSetGroup):
    menu_label = _("Council")
    menu_icon = "group"
    menu_order = 260
    items = (
        ProposalViewSet("council_proposal"),
        ModerationViewSet("council_moderation"),
        MeetingViewSet("council_meeting"),
        CouncilViewSet("council_rules"),
    )


@hooks.register("register_admin_viewset")
def register_council_group():
    return CouncilViewSetGroup()
