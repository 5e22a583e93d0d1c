"""Comments on a proposal and replies to them."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotAllowed
from live.services import publish

from .. import permissions as perms
from ..models import Comment, Proposal
from .common import audit, check_rate, clean_text, proposal_topic


def add_comment(*, actor, proposal: Proposal, body, parent: Comment | None = None) -> Comment:
    """A comment, or a reply (one level: a reply to a reply joins the top-level comment)."""
    if not perms.may_comment(actor, proposal):
        raise NotAllowed(_("Only verified residents of this community can comment."))
    body = clean_text(body, field="body", max_length=2000)
    if parent is not None:
        if parent.proposal_id != proposal.pk:
            raise ValidationError({"parent": [gettext("Reply to a comment of this proposal.")]})
        if parent.parent_id is not None:
            parent = parent.parent
        if parent.hidden and not perms.can_moderate(actor, proposal):
            raise ValidationError({"parent": [gettext("This comment is hidden.")]})
    if proposal.status not in Proposal.COMMENTABLE or proposal.hidden:
        raise Conflict(_("This proposal is not open for comments."))
    check_rate(user=actor, action="comment")
    with transaction.atomic():
        comment = Comment.objects.create(proposal=proposal, author=actor, parent=parent, body=body)
        audit(comment, "linli.comment.create", actor, proposal=proposal.pk)
        publish(
            topic=proposal_topic(proposal),
            type="proposal.comment_added",
            data={"comment": comment.pk, "parent": parent.pk if parent else None},
            actor=actor,
        )
    return comment
