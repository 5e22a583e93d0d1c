"""Activities: a charity fair, a neighbourhood festival, a training session. People sign up for
a limited number of places, are checked in and out at the door, and a volunteer service
activity turns attendance into service hours.

Invariants the database holds:
- an activity ends after it starts and its quota, when set, is at least one
  (check constraints `activity_ends_after_start`, `activity_quota_positive`);
- an activity open to one team's volunteers names that team (`activity_team_audience`);
- one sign-up and one attendance per person and activity (unique activity, person);
- a waiting-list number is used once per activity (`signup_unique_queue_number`);
- a training record per person and activity at most.

How many places are taken is not stored: the sign-up service counts the confirmed rows while
it holds the activity's row lock, so two people never get the last place.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Community
from teams.models import ServiceRecord, Skill, Team


def new_check_in_secret() -> str:
    return secrets.token_urlsafe(24)


class ActivityQuerySet(models.QuerySet):
    def listed(self):
        """What everybody may see: published, finished and cancelled activities."""
        return self.exclude(status=Activity.Status.DRAFT)

    def upcoming(self, now=None):
        return self.filter(
            status=Activity.Status.PUBLISHED, ends_at__gt=now or timezone.now()
        ).order_by("starts_at", "pk")

    def with_counts(self):
        """confirmed_count and waitlist_count, counted in the same query."""
        return self.annotate(
            confirmed_count=models.Count(
                "signups", filter=Q(signups__status=Signup.Status.CONFIRMED), distinct=True
            ),
            waitlist_count=models.Count(
                "signups", filter=Q(signups__status=Signup.Status.WAITLISTED), distinct=True
            ),
        )


class Activity(models.Model):
    class Kind(models.TextChoices):
        SERVICE = "service", _("Volunteer service")
        EVENT = "event", _("Residents' event")
        TRAINING = "training", _("Training")

    class Audience(models.TextChoices):
        TEAM = "team", _("Volunteers of the organising team")
        VOLUNTEERS = "volunteers", _("Any volunteer")
        RESIDENTS = "residents", _("Any verified resident")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("activity status", "Draft")
        PUBLISHED = "published", pgettext_lazy("activity status", "Open")
        CANCELLED = "cancelled", pgettext_lazy("activity status", "Cancelled")
        FINISHED = "finished", pgettext_lazy("activity status", "Finished")

    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("organising team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
        help_text=_("Leave empty when community staff organise it."),
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="organised_activities",
    )
    kind = models.CharField(pgettext_lazy("activity", "kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    quota = models.PositiveIntegerField(
        _("places"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    required_skills = models.ManyToManyField(
        Skill, verbose_name=_("required skills"), blank=True, related_name="activities"
    )
    audience = models.CharField(
        _("who may sign up"),
        max_length=12,
        choices=Audience.choices,
        default=Audience.RESIDENTS,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    check_in_secret = models.CharField(max_length=64, default=new_check_in_secret, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "status", "starts_at"], name="activity_listing"),
            models.Index(fields=["team", "status", "starts_at"], name="activity_team_listing"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(quota__gte=1), name="activity_quota_positive"
            ),
            models.CheckConstraint(
                condition=~Q(audience="team") | Q(team__isnull=False),
                name="activity_team_audience",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        try:
            return reverse("activities:detail", args=[self.pk])
        except NoReverseMatch:
            return f"/activities/{self.pk}/"

    @property
    def credits_hours(self) -> bool:
        return self.kind == self.Kind.SERVICE


class Signup(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", pgettext_lazy("sign-up", "Confirmed")
        WAITLISTED = "waitlisted", pgettext_lazy("sign-up", "On the waiting list")
        CANCELLED = "cancelled", pgettext_lazy("sign-up", "Cancelled")

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="signups"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="activity_signups",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    queue_number = models.PositiveIntegerField(
        _("waiting-list number"),
        null=True,
        blank=True,
        help_text=_("Order on the waiting list; the lowest number is promoted first."),
    )
    assisted = models.BooleanField(_("signed up by the organiser"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="signup_once"),
            models.UniqueConstraint(
                fields=["activity", "queue_number"], name="signup_unique_queue_number"
            ),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(queue_number__isnull=False),
                name="signup_waitlisted_queued",
            ),
        ]
        indexes = [models.Index(fields=["activity", "status"], name="signup_activity_status")]

    def __str__(self):
        return f"{self.person} · {self.activity}"


class Attendance(models.Model):
    class Method(models.TextChoices):
        CODE = "code", _("Scanned the code")
        STAFF = "staff", _("Checked by the organiser")
        SHEET = "sheet", _("From the paper sign-in sheet")

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="attendances"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    check_in_method = models.CharField(_("checked in by"), max_length=5, choices=Method.choices)
    check_out_method = models.CharField(
        _("checked out by"), max_length=5, choices=Method.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who checked the person in or out for them, if anyone."),
    )
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=2, null=True, blank=True)
    record = models.OneToOneField(
        ServiceRecord,
        verbose_name=_("service record"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attendance",
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["checked_in_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="attendance_once"),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_out_at__gte=models.F("checked_in_at")),
                name="attendance_out_after_in",
            ),
        ]

    def __str__(self):
        return f"{self.person} · {self.activity}"


class TrainingRecord(models.Model):
    """A training a person attended: kept as training, never as service hours."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="training_records",
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("training"),
        on_delete=models.PROTECT,
        related_name="training_records",
    )
    attendance = models.OneToOneField(
        Attendance,
        verbose_name=_("attendance"),
        on_delete=models.PROTECT,
        related_name="training_record",
    )
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=2)
    date = models.DateField(_("date"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["person", "activity"], name="training_record_once"),
        ]

    def __str__(self):
        return f"{self.person} · {self.activity}"
