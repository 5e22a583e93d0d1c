"""The council's kinds of the staff inbox (communities.inbox): proposals submitted for review and
open reports. Nobody judges their own proposal or moderates their own content (permissions)."""

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from communities.inbox import InboxItem, InboxKind, Scope, register
from live.inbox import notify_staff
from live.texts import localized

from . import permissions as perms
from .models import Proposal, Report


def submitted_proposals(scope: Scope):
    return Proposal.objects.filter(
        council__community_id__in=scope.ids, status=Proposal.Status.SUBMITTED
    ).filter(perms.not_own_proposal(scope.user))


def proposal_items(scope: Scope, limit: int) -> list[InboxItem]:
    proposals = (
        submitted_proposals(scope)
        .select_related("council", "author")
        .order_by("submitted_at", "pk")[:limit]
    )
    items = []
    for proposal in proposals:
        author = proposal.author.get_display_name() if proposal.author_id else ""
        items.append(
            InboxItem(
                kind="proposal_review",
                id=proposal.pk,
                title=proposal.title,
                community=scope.communities[proposal.council.community_id],
                since=proposal.submitted_at or proposal.created_at,
                reason=_("Submitted by %(name)s; publish it or return it.") % {"name": author}
                if author
                else _("Publish it or return it."),
                url=proposal.get_absolute_url(),
            )
        )
    return items


def open_reports(scope: Scope):
    return (
        Report.objects.filter(status=Report.Status.OPEN)
        .filter(
            Q(proposal__council__community_id__in=scope.ids)
            | Q(comment__proposal__council__community_id__in=scope.ids)
        )
        .filter(perms.not_own_reported_content(scope.user))
    )


def _moderation_url(report: Report) -> str:
    name, pk = (
        ("council_moderation:comment", report.comment_id)
        if report.comment_id
        else ("council_moderation:proposal", report.proposal_id)
    )
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        proposal = report.comment.proposal if report.comment_id else report.proposal
        return proposal.get_absolute_url()


def report_items(scope: Scope, limit: int) -> list[InboxItem]:
    reports = (
        open_reports(scope)
        .select_related("proposal__council", "comment__proposal__council")
        .order_by("created_at", "pk")[:limit]
    )
    items = []
    for report in reports:
        if report.comment_id:
            proposal = report.comment.proposal
            title = _("Comment on “%(title)s”: %(text)s") % {
                "title": proposal.title,
                "text": Truncator(report.comment.body).chars(40),
            }
        else:
            proposal = report.proposal
            title = proposal.title
        items.append(
            InboxItem(
                kind="report",
                id=report.pk,
                title=title,
                community=scope.communities[proposal.council.community_id],
                since=report.created_at,
                reason=report.reason or _("No reason given."),
                url=_moderation_url(report),
            )
        )
    return items


KINDS = [
    InboxKind(
        "proposal_review",
        gettext_lazy("Proposals to review"),
        10,
        submitted_proposals,
        proposal_items,
    ),
    InboxKind(
        "report", pgettext_lazy("reports by residents", "Reports"), 80, open_reports, report_items
    ),
]


# --- telling staff (live.inbox): the services call these in their transaction -----------------


def proposal_submitted(proposal: Proposal, *, actor) -> None:
    community = proposal.council.community
    notify_staff(
        community=community,
        kind="proposal_review",
        object_id=proposal.pk,
        text=localized(
            gettext_lazy("A proposal waits for your review: %(title)s"),
            {"title": proposal.title},
        ),
        url=proposal.get_absolute_url(),
        actor=actor,
        exclude=[proposal.author_id, proposal.recorded_by_id],
    )


def report_filed(report: Report, *, actor) -> None:
    proposal = report.comment.proposal if report.comment_id else report.proposal
    message = (
        gettext_lazy("A comment on “%(title)s” was reported.")
        if report.comment_id
        else gettext_lazy("The proposal “%(title)s” was reported.")
    )
    notify_staff(
        community=proposal.council.community,
        kind="report",
        object_id=report.pk,
        text=localized(message, {"title": proposal.title}),
        url=_moderation_url(report),
        actor=actor,
    )


def connect() -> None:
    for kind in KINDS:
        register(kind)
