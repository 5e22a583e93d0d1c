"""Staff told that something new waits in their inbox (communities.inbox).

`notify_staff` publishes one `inbox.new` event on the `user` topic of every staff member who
handles the community (its staff and the staff of the communities above it), in the caller's
transaction; their header's count (site/static/js/header-counts.js) reads the inbox again when
one arrives. The data names the kind of work, the community and the page where they act,
never private content: for a sensitive task or a private request for help the caller gives a
text without it.

Membership requests are announced here, from the audit entry the service writes, as `live`
announces the changes of `communities` (communities.services publishes nothing).
"""

from django.db.models.signals import post_save
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.models import ModelLogEntry

from accounts.permissions import is_signed_in
from communities.models import Community, Membership
from communities.permissions import staffed_communities

from . import topics
from .services import publish_many
from .texts import localized, text_fields

EVENT_TYPE = "inbox.new"
MEMBERSHIP_REQUEST_ACTION = "linli.membership.request"


def staff_ids(community: Community, *, exclude=()) -> list[int]:
    """The active, verified staff of the community and of the communities above it."""
    left_out = {getattr(person, "pk", person) for person in exclude if person}
    ids = Membership.objects.filter(
        community_id__in=community.ancestor_ids,
        role=Membership.Role.STAFF,
        status=Membership.Status.VERIFIED,
        user__is_active=True,
    ).values_list("user_id", flat=True)
    return sorted(set(ids) - left_out)


def notify_staff(
    *, community: Community, kind: str, object_id: int, text, url: str, actor=None, exclude=()
) -> list:
    """Tell the community's staff that `kind` work (an inbox kind's slug) arrived. `text` is
    a localized text (live.texts.localized); the actor and the people in `exclude` (whose
    own work it is) are not told."""
    data = {
        "kind": kind,
        "id": object_id,
        "community": {"id": community.pk, "name": community.name},
        "url": url,
        **text_fields(text),
    }
    recipients = staff_ids(community, exclude=[actor, *exclude])
    if not recipients:
        return []
    return publish_many(
        [(topics.topic_for("user", user_id), EVENT_TYPE, data) for user_id in recipients],
        actor=actor,
    )


def read_inbox_events(user, events) -> list:
    """inbox.* events for whoever is staff of their community now (one query for the batch)."""
    if not is_signed_in(user):
        return [None] * len(events)
    wanted = set()
    for event in events:
        community = event.data.get("community") if isinstance(event.data, dict) else None
        if isinstance(community, dict) and isinstance(community.get("id"), int):
            wanted.add(community["id"])
    staffed = set(
        staffed_communities(user).filter(pk__in=wanted).values_list("pk", flat=True)
        if wanted
        else []
    )
    shown = []
    for event in events:
        community = event.data.get("community") if isinstance(event.data, dict) else None
        visible = isinstance(community, dict) and community.get("id") in staffed
        shown.append(event.data if visible else None)
    return shown


def membership_requested(sender, instance, created, **kwargs):
    """A request to join (also one made again after a rejection), seen by its audit entry:
    communities.services.request_membership writes one in its transaction for each."""
    if not created or instance.action != MEMBERSHIP_REQUEST_ACTION:
        return
    membership = (
        Membership.objects.select_related("community", "user")
        .filter(pk=(instance.data or {}).get("membership"), status=Membership.Status.PENDING)
        .first()
    )
    if membership is None:
        return
    notify_staff(
        community=membership.community,
        kind="membership_request",
        object_id=membership.pk,
        text=localized(
            _("%(name)s asked to join %(community)s."),
            {"name": membership.user.get_display_name(), "community": membership.community.name},
        ),
        url=reverse("communities:requests", args=[membership.community_id]),
        actor=membership.user,
    )


def connect() -> None:
    topics.register_event_label(EVENT_TYPE, pgettext_lazy("live event", "Waiting for you"))
    topics.register_reader("inbox", read_inbox_events)
    post_save.connect(membership_requested, sender=ModelLogEntry, dispatch_uid=__name__ + ".m")
