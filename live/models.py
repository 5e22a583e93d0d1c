from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One entry of the live log. Its id orders the replay; the log is the truth."""

    topic = models.CharField(_("topic"), max_length=64)
    type = models.CharField(_("type"), max_length=64)
    data = models.JSONField(_("data"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # The log is written on every state change; Wagtail's reference index has nothing to find here.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("live event")
        verbose_name_plural = _("live events")
        ordering = ["id"]
        indexes = [models.Index(fields=["topic", "id"], name="live_event_topic_id")]

    def __str__(self):
        return f"{self.topic} {self.type} #{self.pk}"

    def as_message(self) -> dict:
        return {
            "id": self.pk,
            "topic": self.topic,
            "type": self.type,
            "data": self.data,
            "at": self.created_at.isoformat(),
        }


class NotificationMark(models.Model):
    """How far a person has read their notifications: the id of the newest `user:<id>` event
    they had seen when they last opened them. One row per person, so the unread count is one
    query (events of their topic after it), whatever the length of the log."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_mark",
    )
    read_upto = models.BigIntegerField(_("read up to event"), default=0)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("notification read mark")
        verbose_name_plural = _("notification read marks")

    def __str__(self):
        return f"{self.user_id} ≤ {self.read_upto}"
