from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .phones import validate_e164


class UserManager(DjangoUserManager):
    """E-mail is the login; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def email_owner(self, email: str):
        """The account that verified this e-mail address, or None.

        At most one: allauth's EmailAddress has the "unique_verified_email" constraint.
        """
        return self.filter(emailaddress__email__iexact=email, emailaddress__verified=True).first()

    def get_by_natural_key(self, username):
        """The account that logs in with this address through Django's own login (the admin's).

        E-mail addresses are unique only once verified (allauth's EmailAddress), so several
        accounts may hold one unverified: the verified holder is the owner, else the only holder
        (its own password still has to match), else nobody.
        """
        email = self.normalize_email(username or "").lower()
        owner = self.email_owner(email)
        if owner is not None:
            return owner
        holders = list(self.filter(email=email)[:2])
        if len(holders) == 1:
            return holders[0]
        raise self.model.DoesNotExist


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    # Unique only once verified, as allauth's EmailAddress ("unique_verified_email"): an address
    # someone typed in but never verified must not stop its real owner from signing up.
    email = models.EmailField(_("e-mail address"), db_index=True)
    # Likewise unique only among verified numbers (constraint below).
    phone = models.CharField(
        _("phone number"),
        max_length=20,
        db_index=True,
        null=True,
        blank=True,
        validators=[validate_e164],
        help_text=_("Mainland numbers may be written without +86."),
    )
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    large_text = models.BooleanField(
        _("large text"),
        default=False,
        help_text=_("Bigger text and buttons on every page."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(phone_verified=True),
                name="accounts_user_unique_verified_phone",
            ),
        ]

    def __str__(self):
        return self.get_display_name()

    def get_display_name(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]

    def get_full_name(self) -> str:
        return self.get_display_name()

    def get_short_name(self) -> str:
        return self.get_display_name()
