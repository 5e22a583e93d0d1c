"""Reports, and hiding and restoring proposals and comments (by staff, or by enough reports)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotAllowed
from live.services import publish

from .. import inbox
from .. import permissions as perms
from ..models import Comment, Proposal, Report
from .common import audit, check_rate, clean_text, judge_guard, lock_proposal, proposal_topic

DEFAULT_REPORTS_TO_HIDE = 3


def reports_to_hide() -> int:
    return int(getattr(settings, "DELIBERATION_REPORTS_TO_HIDE", DEFAULT_REPORTS_TO_HIDE))


def _close_reports(*, actor, status: str, proposal=None, comment=None) -> int:
    qs = Report.objects.filter(status=Report.Status.OPEN)
    qs = qs.filter(proposal=proposal) if proposal is not None else qs.filter(comment=comment)
    return qs.update(status=status, reviewed_by=actor, reviewed_at=timezone.now())


def hide_proposal(*, actor, proposal: Proposal, reason) -> Proposal:
    """Staff hide a proposal from everyone but its author and staff, with a reason."""
    judge_guard(actor, proposal, _("Only community staff can hide proposals."))
    reason = clean_text(reason, field="reason", max_length=500)
    with transaction.atomic():
        lock_proposal(proposal)
        was_hidden = proposal.hidden
        proposal.hidden = True
        proposal.hidden_reason = reason
        proposal.hidden_by = actor
        proposal.hidden_at = timezone.now()
        proposal.save(
            update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at", "updated_at"]
        )
        upheld = _close_reports(actor=actor, status=Report.Status.UPHELD, proposal=proposal)
        audit(
            proposal,
            "linli.proposal.hide",
            actor,
            reason=reason,
            reports_upheld=upheld,
            confirmed=was_hidden,
        )
        if not was_hidden:
            publish(topic=proposal_topic(proposal), type="proposal.hidden", data={}, actor=actor)
    return proposal


def restore_proposal(*, actor, proposal: Proposal, reason="") -> Proposal:
    """Staff show a hidden proposal again; open reports on it are dismissed."""
    judge_guard(actor, proposal, _("Only community staff can restore proposals."))
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    with transaction.atomic():
        lock_proposal(proposal)
        if not proposal.hidden:
            raise Conflict(_("This proposal is not hidden."))
        proposal.hidden = False
        proposal.hidden_reason = ""
        proposal.hidden_by = None
        proposal.hidden_at = None
        proposal.save(
            update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at", "updated_at"]
        )
        dismissed = _close_reports(actor=actor, status=Report.Status.DISMISSED, proposal=proposal)
        audit(proposal, "linli.proposal.restore", actor, reason=reason, reports_dismissed=dismissed)
        publish(topic=proposal_topic(proposal), type="proposal.restored", data={}, actor=actor)
    return proposal


def _moderation_guard(actor, comment: Comment, message) -> None:
    if perms.is_council_staff(actor, comment.proposal) and perms.is_own_content(actor, comment):
        raise NotAllowed(
            _("Another staff member must do this: the comment or its proposal is your own."),
            code="own_work",
        )
    if not perms.can_moderate(actor, comment):
        raise NotAllowed(message)


def hide_comment(*, actor, comment: Comment, reason) -> Comment:
    _moderation_guard(actor, comment, _("Only community staff can hide comments."))
    reason = clean_text(reason, field="reason", max_length=500)
    with transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(
            hidden=True, hidden_reason=reason, hidden_by=actor, hidden_at=timezone.now()
        )
        comment.refresh_from_db()
        upheld = _close_reports(actor=actor, status=Report.Status.UPHELD, comment=comment)
        audit(comment, "linli.comment.hide", actor, reason=reason, reports_upheld=upheld)
        publish(
            topic=proposal_topic(comment.proposal_id),
            type="proposal.comment_hidden",
            data={"comment": comment.pk},
            actor=actor,
        )
    return comment


def restore_comment(*, actor, comment: Comment, reason="") -> Comment:
    _moderation_guard(actor, comment, _("Only community staff can restore comments."))
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    with transaction.atomic():
        updated = Comment.objects.filter(pk=comment.pk, hidden=True).update(
            hidden=False, hidden_reason="", hidden_by=None, hidden_at=None
        )
        if not updated:
            raise Conflict(_("This comment is not hidden."))
        comment.refresh_from_db()
        dismissed = _close_reports(actor=actor, status=Report.Status.DISMISSED, comment=comment)
        audit(comment, "linli.comment.restore", actor, reason=reason, reports_dismissed=dismissed)
        publish(
            topic=proposal_topic(comment.proposal_id),
            type="proposal.comment_restored",
            data={"comment": comment.pk},
            actor=actor,
        )
    return comment


def report_content(*, actor, target, reason="") -> tuple[Report, bool]:
    """Anyone signed in reports a proposal or a comment once. With `reports_to_hide()` open
    reports the content is hidden until staff review it. Returns (report, created)."""
    if not isinstance(target, Proposal | Comment):
        raise TypeError(target)
    if not perms.can_report(actor, target):
        raise NotAllowed(_("You cannot report this."))
    reason = clean_text(reason, field="reason", max_length=500, required=False)
    is_comment = isinstance(target, Comment)
    lookup = {"comment": target} if is_comment else {"proposal": target}
    existing = Report.objects.filter(reporter=actor, **lookup).first()
    if existing is not None:
        return existing, False
    check_rate(user=actor, action="report")
    with transaction.atomic():
        report, created = Report.objects.get_or_create(
            reporter=actor, **lookup, defaults={"reason": reason}
        )
        if not created:
            return report, False
        audit(report, "linli.report.create", actor, reason=reason)
        inbox.report_filed(report, actor=actor)
        # Only reports by verified members of the proposal's community count towards hiding it:
        # otherwise a few throwaway accounts from anywhere could hide any proposal.
        proposal = target.proposal if is_comment else target
        open_count = (
            Report.objects.filter(
                status=Report.Status.OPEN,
                reporter__memberships__community_id=proposal.council.community_id,
                reporter__memberships__status="verified",
                **lookup,
            )
            .values("reporter")
            .distinct()
            .count()
        )
        if open_count >= reports_to_hide():
            _auto_hide(target, open_count)
    return report, True


def _auto_hide(target, open_count: int) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        reason = gettext("Hidden after %(count)d reports, waiting for staff review.") % {
            "count": open_count
        }
    model = type(target)
    hidden = model.objects.filter(pk=target.pk, hidden=False).update(
        hidden=True, hidden_reason=reason, hidden_by=None, hidden_at=timezone.now()
    )
    if not hidden:
        return
    target.refresh_from_db()
    action = "linli.comment.hide" if model is Comment else "linli.proposal.hide"
    audit(target, action, None, reason=reason)
    proposal_id = target.proposal_id if model is Comment else target.pk
    kind = "proposal.comment_hidden" if model is Comment else "proposal.hidden"
    publish(
        topic=proposal_topic(proposal_id),
        type=kind,
        data={"comment": target.pk} if model is Comment else {},
    )
