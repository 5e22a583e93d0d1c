"""Who follows a proposal, and the notices they get: in the app on their `user:<id>` topic,
by e-mail in the background."""

import contextlib
import contextvars

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.permissions import is_signed_in
from core.errors import NotAllowed
from live.services import publish
from live.texts import localized

from .. import permissions as perms
from ..models import Follow, Proposal
from .common import audit

NOTICES = {
    "published": _("Your followed proposal “%(title)s” is now open for discussion."),
    "returned": _("The proposal “%(title)s” was returned to its author: %(reason)s"),
    "voting_opened": _("Voting on “%(title)s” has opened and closes on %(closes)s."),
    "accepted": _("“%(title)s” was accepted. A follow-up task has been created."),
    "rejected": _("“%(title)s” was not accepted."),
    "withdrawn": _("“%(title)s” was withdrawn by its author."),
    "assisted": _("Community staff filed the proposal “%(title)s” for you at the service station."),
    "task_claimed": _("The follow-up work of “%(title)s” was taken on by %(team)s."),
    "task_done": _("%(team)s reports the follow-up work of “%(title)s” as done."),
    "task_verified": _("Staff confirmed that the follow-up work of “%(title)s” is done."),
    "vote_recorded": _("%(staff)s recorded your vote on “%(title)s”: %(choice)s."),
}


def notice_texts(kind: str, proposal: Proposal, **values) -> dict[str, str]:
    """The notification text in every offered language, {code: text} (live.texts): followers
    share it and each reads it in their own language; times are formatted per language."""
    return localized(NOTICES[kind], {"title": proposal.title, **values})


_emails_off: contextvars.ContextVar[bool] = contextvars.ContextVar("emails_off", default=False)


@contextlib.contextmanager
def without_emails():
    """Notify in the app only (the demo loader uses it: no console e-mail flood)."""
    token = _emails_off.set(True)
    try:
        yield
    finally:
        _emails_off.reset(token)


def notify_followers(*, proposal: Proposal, kind: str, actor=None, **values) -> list[int]:
    """In-app notice on each follower's `user:<id>` topic, e-mail in the background.

    The actor is not notified of their own action. Returns the notified user ids.
    """
    texts = notice_texts(kind, proposal, **values)
    text = texts[settings.LANGUAGE_CODE]
    url = proposal.get_absolute_url()
    follower_ids = list(
        Follow.objects.filter(proposal=proposal, user__is_active=True)
        .exclude(user_id=getattr(actor, "pk", None))
        .values_list("user_id", flat=True)
    )
    data = {
        "text": text,
        "texts": texts,
        "kind": kind,
        "proposal": {"id": proposal.pk, "title": proposal.title},
        "url": url,
    }
    for user_id in follower_ids:
        publish(topic=f"user:{user_id}", type=f"proposal.{kind}", data=data, actor=actor)
    if follower_ids and not _emails_off.get():
        from ..tasks import send_notice_emails

        transaction.on_commit(
            lambda: send_notice_emails.enqueue(
                user_ids=follower_ids, subject=proposal.title, text=text, url=url
            )
        )
    return follower_ids


def _follow(user, proposal) -> None:
    if is_signed_in(user):
        Follow.objects.get_or_create(user=user, proposal=proposal)


def follow_proposal(*, actor, proposal: Proposal) -> Follow:
    if not perms.can_follow(actor, proposal):
        raise NotAllowed(_("Sign in to follow proposals you can see."))
    with transaction.atomic():
        follow, created = Follow.objects.get_or_create(user=actor, proposal=proposal)
        if created:
            audit(proposal, "linli.proposal.follow", actor)
    return follow


def unfollow_proposal(*, actor, proposal: Proposal) -> None:
    if not is_signed_in(actor):
        raise NotAllowed()
    with transaction.atomic():
        deleted, _n = Follow.objects.filter(user=actor, proposal=proposal).delete()
        if deleted:
            audit(proposal, "linli.proposal.unfollow", actor)
