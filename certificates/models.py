"""Real-name volunteer profiles and volunteer service certificates.

A certificate is a snapshot: who (name, document, volunteer number), what (its lines: date,
task or activity, team, hours, each with the service record behind it), who issued it (the
community, its person in charge, the handler, a contact) and when. Issuing fixes the snapshot
and the number; it is then on the community's publicity list until `publicity_until` and valid
after that, unless revoked. "Valid" is not stored: it is publicising whose time has passed, so
no job has to run for a certificate to become valid.

Invariants the database holds: one profile per person; a certificate number once; one open
request per holder, community and period (`certificate_one_open_request`); an issued or
revoked certificate has its number (`certificate_issued_has_number`); a line per service
record and certificate.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Community
from teams.models import ServiceRecord

from . import crypto, idnumbers
from .idnumbers import IdType


class VolunteerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="volunteer_profile",
    )
    real_name = models.CharField(_("real name"), max_length=50)
    id_type = models.CharField(
        _("identity document"), max_length=12, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number_encrypted = models.TextField(editable=False)
    id_number_masked = models.CharField(_("document number"), max_length=40, editable=False)
    volunteer_number = models.CharField(
        _("national volunteer number"),
        max_length=40,
        blank=True,
        help_text=_("The number given by the national volunteer service information system."),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("volunteer profile")
        verbose_name_plural = _("volunteer profiles")

    def __str__(self):
        return idnumbers.mask_name(self.real_name)

    def set_id_number(self, number: str) -> None:
        self.id_number_encrypted = crypto.encrypt(number)
        self.id_number_masked = idnumbers.mask(number)

    def id_number(self) -> str:
        """The number in full. Staff read it only through services.reveal_id_number, which
        writes the audit entry."""
        return crypto.decrypt(self.id_number_encrypted)


class CertificateQuerySet(models.QuerySet):
    def publicising(self, now=None):
        return self.filter(
            status=Certificate.Status.PUBLICISING, publicity_until__gt=now or timezone.now()
        )


class Certificate(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("certificate", "Requested")
        PUBLICISING = "publicising", pgettext_lazy("certificate", "On public notice")
        VALID = "valid", pgettext_lazy("certificate", "Valid")
        REVOKED = "revoked", pgettext_lazy("certificate", "Revoked")

    #: What the database stores; VALID is PUBLICISING after its notice period.
    STORED = (Status.REQUESTED, Status.PUBLICISING, Status.REVOKED)

    number = models.CharField(
        _("certificate number"), max_length=32, unique=True, null=True, blank=True
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("issuing community"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    purpose = models.CharField(
        _("what it is for"),
        max_length=200,
        blank=True,
        help_text=_("For example: a school application, an award."),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    # The snapshot, fixed when issued.
    holder_name = models.CharField(_("name"), max_length=50, blank=True)
    holder_id_type = models.CharField(
        _("identity document"), max_length=12, choices=IdType.choices, blank=True
    )
    holder_id_number_encrypted = models.TextField(blank=True, editable=False)
    holder_id_number_masked = models.CharField(
        _("document number"), max_length=40, blank=True, editable=False
    )
    holder_volunteer_number = models.CharField(
        _("national volunteer number"), max_length=40, blank=True
    )
    total_hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=2, default=0)
    issuer_name = models.CharField(_("issuer"), max_length=100, blank=True)
    person_in_charge = models.CharField(_("person in charge"), max_length=50, blank=True)
    handler_name = models.CharField(_("handled by"), max_length=50, blank=True)
    contact = models.CharField(_("contact"), max_length=50, blank=True)
    remarks = models.CharField(_("remarks"), max_length=300, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    publicity_until = models.DateTimeField(_("on public notice until"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer service certificate")
        verbose_name_plural = _("volunteer service certificates")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="certificate_period_order",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "revoked"])
                | Q(number__isnull=False, issued_at__isnull=False),
                name="certificate_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "publicising", "revoked"]),
                name="certificate_stored_status",
            ),
            models.UniqueConstraint(
                fields=["holder", "community", "period_start", "period_end"],
                condition=Q(status="requested"),
                name="certificate_one_open_request",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status"], name="certificate_community_status"),
        ]

    def __str__(self):
        return self.number or str(_("Certificate request"))

    def get_absolute_url(self):
        try:
            return reverse("certificates:detail", args=[self.pk])
        except NoReverseMatch:
            return f"/records/certificates/{self.pk}/"

    @property
    def current_status(self) -> str:
        if (
            self.status == self.Status.PUBLICISING
            and self.publicity_until is not None
            and self.publicity_until <= timezone.now()
        ):
            return self.Status.VALID
        return self.status

    def get_current_status_display(self) -> str:
        return str(self.Status(self.current_status).label)

    def verify_path(self) -> str:
        if not self.number:
            return ""
        try:
            return reverse("certificates:verify", args=[self.number])
        except NoReverseMatch:
            return f"/records/verify/{self.number}/"

    def holder_id_number(self) -> str:
        return crypto.decrypt(self.holder_id_number_encrypted)


class CertificateLine(models.Model):
    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificate"), on_delete=models.CASCADE, related_name="lines"
    )
    record = models.ForeignKey(
        ServiceRecord,
        verbose_name=_("service record"),
        on_delete=models.PROTECT,
        related_name="certificate_lines",
    )
    date = models.DateField(_("date"))
    title = models.CharField(_("task or activity"), max_length=200)
    team_name = models.CharField(_("team"), max_length=100, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=2)

    class Meta:
        verbose_name = _("certificate line")
        verbose_name_plural = _("certificate lines")
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "record"], name="certificate_line_once"),
        ]

    def __str__(self):
        return f"{self.date} {self.title} {self.hours}"
