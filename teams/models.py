"""Volunteer teams, skills, tasks (follow-up work), task updates, service hours and needs.

Invariants the database holds:
- a team member appears once per team (unique team, user);
- exactly one team holds a task while it is claimed, in progress, done or verified, and no team
  holds an open one (check constraint `task_one_holder`);
- service hours lie in (0, 24] (check constraint `service_record_hours_range`);
- service records are never deleted (PROTECT everywhere, `delete()` refused).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from communities.models import Community
from core.images import RandomName
from core.private_media import private_storage


def _url(name: str, pk: int, fallback: str) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return fallback


def hours_total(total) -> Decimal:
    """Sums come back as 2.5 (SQLite) or 2.50 (PostgreSQL); always two places."""
    return Decimal(total or 0).quantize(Decimal("0.01"))


def star_level(hours) -> int:
    """0..5 stars: how many thresholds of settings.STAR_LEVEL_THRESHOLDS the hours reach."""
    hours = Decimal(hours or 0)
    return sum(1 for threshold in settings.STAR_LEVEL_THRESHOLDS if hours >= threshold)


class Skill(models.Model):
    SLUGS = [
        ("sanitation", _("Sanitation")),
        ("greening", _("Greening")),
        ("elderly-care", _("Elderly care")),
        ("child-care", _("Child care")),
        ("counselling", _("Counselling")),
        ("repairs", _("Repairs")),
        ("fire-safety", _("Fire safety")),
        ("traffic", _("Traffic")),
        ("legal-aid", _("Legal aid")),
        ("water-rescue", _("Water rescue")),
        ("emergency-response", _("Emergency response")),
    ]

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self):
        return self.name


class TeamQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def serving(self, community: Community):
        return self.filter(communities=community)


class Team(ClusterableModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    skills = models.ManyToManyField(
        Skill, verbose_name=_("skills"), blank=True, related_name="teams"
    )
    communities = models.ManyToManyField(
        Community,
        verbose_name=_("communities served"),
        blank=True,
        related_name="teams",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _url("teams:team_detail", self.pk, f"/teams/{self.pk}/")


class TeamMembership(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("Leader")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("team membership", "Pending")
        ACTIVE = "active", pgettext_lazy("team membership", "Active")
        DECLINED = "declined", pgettext_lazy("team membership", "Declined")
        LEFT = "left", _("Left")

    team = ParentalKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="team_memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    note = models.CharField(_("note from the applicant"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        ordering = ["team_id", "role", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_membership_unique_user"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.team} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Need(models.Model):
    """A resident's request for help; staff accept it (a task is created) or decline it."""

    class Category(models.TextChoices):
        ELDERLY_CARE = "elderly-care", _("Elderly care")
        CHILD_CARE = "child-care", _("Child care")
        CLEANING = "cleaning", _("Cleaning")
        COUNSELLING = "counselling", _("Counselling")
        REPAIRS = "repairs", _("Repairs")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("need status", "Open")
        ACCEPTED = "accepted", pgettext_lazy("need status", "Accepted")
        DECLINED = "declined", pgettext_lazy("need status", "Declined")

    # The skill a task created from a need of this category asks for.
    CATEGORY_SKILL = {
        "elderly-care": "elderly-care",
        "child-care": "child-care",
        "cleaning": "sanitation",
        "counselling": "counselling",
        "repairs": "repairs",
    }

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="needs"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="needs",
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description"), max_length=2000)
    private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("Only community staff and the team that helps will see the details."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    assisted = models.BooleanField(
        _("assisted"),
        default=False,
        help_text=_("Filed by staff on behalf of the resident at the service station."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Set by the phone for a draft sent after being offline: a retry cannot file it twice.
    client_key = models.UUIDField(_("client key"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "client_key"],
                condition=Q(client_key__isnull=False),
                name="need_client_key_once",
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()} — {self.community}"


class SkillSlugsOf(models.Func):
    """The slugs of a task's required skills as one JSON array (NULL without any), read in
    the task's own query: `SkillSlugsOf("pk")`.

    Written out rather than as a Subquery of the join table: building and resolving that
    subquery on every read cost as much Python as the prefetch it replaces (figures in
    bench/README.md, "Measured choices in the code"). SQLite's JSON_GROUP_ARRAY,
    PostgreSQL's JSONB_AGG (Django 5.2 has no portable JSON aggregate)."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_sql(self, compiler, connection, **extra_context):
        link, skill = Task.required_skills.through._meta, Skill._meta
        quote = connection.ops.quote_name
        extra_context["template"] = (
            f"(SELECT %(function)s(skill.{quote(skill.get_field('slug').column)})"
            f" FROM {quote(link.db_table)} link INNER JOIN {quote(skill.db_table)} skill"
            f" ON skill.{quote(skill.pk.column)} = link.{quote(link.get_field('skill').column)}"
            f" WHERE link.{quote(link.get_field('task').column)} = %(expressions)s)"
        )
        return super().as_sql(compiler, connection, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


class TaskQuerySet(models.QuerySet):
    def for_lists(self):
        return self.select_related("community", "team").prefetch_related("required_skills")

    def with_skill_slugs(self):
        """The required skills' slugs read with each task, in the same query (see
        Task.skill_slugs): a prefetch costs a second query and more Python per task than
        the read itself, on the path of every task event."""
        return self.annotate(required_skill_slugs=SkillSlugsOf("pk"))


class Task(models.Model):
    class Origin(models.TextChoices):
        PROPOSAL = "proposal", _("Council proposal")
        NEED = "need", _("Resident's need")
        EMERGENCY = "emergency", _("Emergency")
        STAFF = "staff", _("Community staff")

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")
        EMERGENCY = "emergency", _("Emergency")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("task status", "Open")
        CLAIMED = "claimed", _("Claimed")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        VERIFIED = "verified", pgettext_lazy("task status", "Verified")
        CANCELLED = "cancelled", _("Cancelled")

    HELD = ("claimed", "in_progress", "done", "verified")
    # Which statuses each action moves a task from (and to).
    TRANSITIONS = {
        "claim": (("open",), "claimed"),
        "release": (("claimed", "in_progress"), "open"),
        "start": (("claimed",), "in_progress"),
        "finish": (("claimed", "in_progress"), "done"),
        "verify": (("done",), "verified"),
        "reopen": (("done", "verified", "cancelled"), "open"),
        "cancel": (("open", "claimed", "in_progress", "done"), "cancelled"),
    }

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="tasks"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    origin = models.CharField(
        _("origin"), max_length=20, choices=Origin.choices, default=Origin.STAFF
    )
    priority = models.CharField(
        _("priority"), max_length=20, choices=Priority.choices, default=Priority.NORMAL
    )
    required_skills = models.ManyToManyField(
        Skill, verbose_name=_("required skills"), blank=True, related_name="tasks"
    )
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_(
            "Title, description, place and updates are shown only to community staff "
            "and the team that holds the task."
        ),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        help_text=_("The team that holds the task."),
    )
    dispatched_team = models.ForeignKey(
        Team,
        verbose_name=_("dispatched to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispatched_tasks",
        help_text=_("Only this team may take the task. Empty: every team with the skills may."),
    )
    need = models.OneToOneField(
        Need,
        verbose_name=_("need"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="task",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status"], name="task_community_status")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status="open", team__isnull=True)
                    | Q(
                        status__in=["claimed", "in_progress", "done", "verified"],
                        team__isnull=False,
                    )
                    | Q(status="cancelled")
                ),
                name="task_one_holder",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return _url("teams:task_detail", self.pk, f"/teams/tasks/{self.pk}/")

    def skill_slugs(self) -> list[str]:
        """The slugs of the required skills, sorted: as the task's query read them
        (TaskQuerySet.with_skill_slugs), from a prefetch, or else with one query."""
        if "required_skill_slugs" in self.__dict__:
            return sorted(self.required_skill_slugs or [])
        if "required_skills" in getattr(self, "_prefetched_objects_cache", {}):
            return sorted(skill.slug for skill in self.required_skills.all())
        return list(self.required_skills.order_by("slug").values_list("slug", flat=True))

    @property
    def is_held(self) -> bool:
        return self.status in self.HELD and self.team_id is not None

    def can_move(self, action: str) -> bool:
        return self.status in self.TRANSITIONS[action][0]


class TaskUpdate(models.Model):
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="updates"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="task_updates",
    )
    text = models.TextField(_("text"), max_length=2000, blank=True)
    # Access-checked (core.private_media): served by `photo_url`, never by a path of its own.
    photo = models.ImageField(
        _("photo"),
        storage=private_storage,
        upload_to=RandomName("task-updates"),
        blank=True,
        help_text=_("JPEG, PNG or WebP, up to 5 MB."),
    )
    photo_rendition = models.ImageField(
        _("photo for phones"),
        storage=private_storage,
        upload_to=RandomName("task-updates"),
        blank=True,
    )
    status_change = models.CharField(
        _("status change"), max_length=20, choices=Task.Status.choices, blank=True
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task update")
        verbose_name_plural = _("task updates")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.task} — {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def photo_url(self) -> str | None:
        """The access-checked address of the photo (a rendition; `?size=original`)."""
        return reverse("task-update-photo", args=[self.pk]) if self.photo else None


class TaskFollow(models.Model):
    """Someone follows a task: told on their `user:<id>` topic of each progress update."""

    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="task_follows",
    )
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(_("followed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task follow")
        verbose_name_plural = _("task follows")
        constraints = [
            models.UniqueConstraint(fields=["user", "task"], name="task_follow_unique_user"),
        ]

    def __str__(self):
        return f"{self.user} → {self.task}"


class ServiceRecordQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionDenied("Service records are never deleted.")

    def approved(self):
        return self.filter(status=ServiceRecord.Status.APPROVED)


class ServiceRecord(models.Model):
    """Hours a volunteer served on a task. Reviewed, never deleted."""

    class Source(models.TextChoices):
        SELF = "self", _("Logged by the volunteer")
        LEADER = "leader", _("Logged by the team leader")
        STAFF = "staff", _("Logged by community staff")
        ATTENDANCE = "attendance", _("From activity attendance")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("hours status", "Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", pgettext_lazy("hours status", "Declined")

    #: The hours that count towards a person's day (and its 24-hour ceiling).
    COUNTED_STATUSES = (Status.PENDING, Status.APPROVED)

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="service_records",
        help_text=_("The community whose task or activity the hours were served on."),
    )
    task = models.ForeignKey(
        Task,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    title = models.CharField(
        _("what was done"),
        max_length=200,
        blank=True,
        help_text=_(
            "For hours not served on a task: the activity's title when they were recorded."
        ),
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    objects = ServiceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["volunteer", "status"], name="service_volunteer_status"),
            models.Index(fields=["team", "status"], name="service_team_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24),
                name="service_record_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", reviewer__isnull=True)
                | Q(status__in=["approved", "declined"], reviewer__isnull=False),
                name="service_record_reviewed",
            ),
            models.CheckConstraint(
                condition=Q(task__isnull=False) | Q(source="attendance"),
                name="service_record_task_or_attendance",
            ),
        ]

    def __str__(self):
        return f"{self.volunteer} {self.hours} h ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        if self.community_id is None and self.task_id is not None:
            self.community_id = Task.objects.values_list("community_id", flat=True).get(
                pk=self.task_id
            )
        super().save(*args, **kwargs)

    @property
    def what(self) -> str:
        """What the hours were served on: the task's title, or the stored title."""
        return self.task.title if self.task_id else self.title

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Service records are never deleted.")
