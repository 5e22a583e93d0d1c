from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Length, Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Community(models.Model):
    """A node of the tree district > street/town > community/village.

    `path` ("/1/5/12/") lists the ids from the root down to this node, so that
    ancestors need no query and a subtree is one `startswith`.
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District / county")
        STREET = "street", _("Street / town")
        COMMUNITY = "community", _("Community / village")

    CHILD_KIND = {Kind.DISTRICT: Kind.STREET, Kind.STREET: Kind.COMMUNITY}

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    description = models.TextField(_("description"), blank=True)
    task_stale_days = models.PositiveSmallIntegerField(
        _("days before an open task is overdue"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A task nobody has taken on for this many days shows in the staff inbox."),
    )
    certificate_publicity_days = models.PositiveSmallIntegerField(
        _("days a certificate is on public notice"),
        default=7,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text=_("An issued volunteer service certificate becomes valid after this many days."),
    )
    person_in_charge = models.CharField(
        _("person in charge"),
        max_length=50,
        blank=True,
        help_text=_("Named on the volunteer service certificates this community issues."),
    )
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=30,
        blank=True,
        help_text=_("Printed on certificates, for whoever wants to check one."),
    )

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="community_unique_name"),
        ]

    EDITABLE_FIELDS = (
        "name",
        "kind",
        "parent",
        "description",
        "task_stale_days",
        "certificate_publicity_days",
        "person_in_charge",
        "contact_phone",
    )

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        with transaction.atomic():
            old_path = self.path
            if self.pk is None:
                super().save(*args, **kwargs)
                kwargs.pop("force_insert", None)
            self.path = (self.parent.path if self.parent_id else "/") + f"{self.pk}/"
            super().save(update_fields=[*self.EDITABLE_FIELDS, "path"])
            if old_path and old_path != self.path:
                Community.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", Length(Value(old_path)) + 1))
                )

    def get_absolute_url(self):
        return reverse("communities:detail", args=[self.pk])

    def clean(self):
        if self.parent_id is None:
            if self.kind != self.Kind.DISTRICT:
                raise ValidationError({"parent": _("Only a district may stand at the top.")})
            return
        if self.CHILD_KIND.get(self.parent.kind) != self.kind:
            raise ValidationError(
                {
                    "parent": _("A %(kind)s cannot sit under a %(parent)s.")
                    % {
                        "kind": self.get_kind_display(),
                        "parent": self.parent.get_kind_display(),
                    }
                }
            )
        if self.pk and f"/{self.pk}/" in self.parent.path:
            raise ValidationError({"parent": _("A community cannot sit under itself.")})

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this community."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def descendants(self, include_self=True):
        qs = Community.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)


class Membership(models.Model):
    class Role(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        REPRESENTATIVE = "representative", _("Council representative")
        STAFF = "staff", _("Community staff")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("membership status", "Pending")
        VERIFIED = "verified", pgettext_lazy("membership status", "Verified")
        REJECTED = "rejected", pgettext_lazy("membership status", "Rejected")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RESIDENT)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    note = models.CharField(_("note from the applicant"), max_length=200, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=200, blank=True)
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
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["community__path", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="membership_unique_user"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.community} ({self.get_role_display()})"

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED
