"""allauth adapter: phone numbers live on accounts.User (E.164), codes go out by SMS.

allauth 65 needs five phone methods (send_verification_code_sms, set_phone, get_phone,
set_phone_verified, get_user_by_phone), and checks that all five are overridden.

An unverified address owns nothing: several accounts may hold one, and only the account that
verified it can be reached through it (log in by phone, login codes, password reset). Someone
who signs up with another person's number or address and never verifies it gets nothing the
real owner does later.
"""

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import User
from .phones import normalize_phone
from .sms import send_sms

# allauth's own wording (already translated): "A user is already registered with this phone number."
PHONE_TAKEN_MESSAGE = DefaultAccountAdapter.error_messages["phone_taken"]


class PhoneField(forms.CharField):
    """Accepts mainland numbers with or without +86 and cleans them to E.164."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "placeholder": "13800138000",
                    "autocomplete": "tel",
                    "type": "tel",
                    "inputmode": "tel",
                }
            ),
        )
        kwargs.setdefault("label", _("Phone number"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", _("Mainland numbers may be written without +86."))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value:
            value = normalize_phone(value)
        return value


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        return [
            "accounts.stages.PhoneVerificationStage"
            if path == "allauth.account.stages.PhoneVerificationStage"
            else path
            for path in super().get_login_stages()
        ]

    def phone_form_field(self, **kwargs):
        # allauth labels it "Phone"; people here say "mobile number" (手机号).
        kwargs.pop("label", None)
        return PhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalize_phone(phone)

    def generate_phone_verification_code(self, *, user, phone: str) -> str:
        # Six digits: what people in China expect from an SMS code, easy to type on a phone.
        return get_random_string(6, allowed_chars="0123456789")

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        # Every code allauth texts passes here: sign-up, login, reauthentication and the change
        # of number on the page and in the app API (whose input ACCOUNT_FORMS does not reach).
        # A number another account verified is that account's: its owner is told someone tried,
        # as allauth does at sign-up, and no code that could take it over is sent.
        owner = self.get_user_by_phone(phone)
        if owner is not None and owner.pk != getattr(user, "pk", None):
            self.send_account_already_exists_sms(phone)
            return
        send_sms(
            phone=phone,
            message=gettext("Linli verification code: %(code)s. Do not share it with anyone.")
            % {"code": code},
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        send_sms(
            phone=phone,
            message=gettext(
                "Someone tried to sign in to Linli with this number, but no account uses it."
            ),
        )

    def send_account_already_exists_sms(self, phone: str) -> None:
        send_sms(
            phone=phone,
            message=gettext(
                "Someone tried to sign up to Linli with this number, but an account already "
                "uses it. If it was you, sign in instead."
            ),
        )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Login codes (page and app API alike) are mailed here, without the account they open.
        # allauth looks accounts up preferring the verified holder, so an address that no
        # account verified can only have found an unverified holder: its owner is told that no
        # account uses the address, exactly as for an unknown address, and gets no code.
        if template_prefix == "account/email/login_code" and not self._owns_email(email, context):
            self._send_unknown_account_mail(email)
            return
        super().send_mail(template_prefix, email, context)

    def _owns_email(self, email: str, context: dict) -> bool:
        owner = User.objects.email_owner(email)
        if owner is None or not owner.is_active:
            return False
        if context.get("reauthentication"):
            return owner.pk == self.request.user.pk
        return True

    def _send_unknown_account_mail(self, email: str) -> None:
        if app_settings.EMAIL_UNKNOWN_ACCOUNTS:
            signup_url = self.request.build_absolute_uri(reverse("account_signup"))
            super().send_mail(
                "account/email/unknown_account",
                email,
                {"request": self.request, "signup_url": signup_url},
            )

    def send_confirmation_mail(self, request, emailconfirmation, signup: bool) -> None:
        # Adding an address another account verified answers as for a new one (enumeration
        # prevention) and can never be verified: its owner is told someone tried, as allauth
        # does at sign-up, instead of getting a code that verifies nothing.
        address = emailconfirmation.email_address
        owner = User.objects.email_owner(address.email)
        if owner is not None and owner.pk != address.user_id:
            self.send_account_already_exists_mail(address.email)
            return
        super().send_confirmation_mail(request, emailconfirmation, signup)

    def confirm_email(self, request, email_address) -> bool:
        # The link mailed to an address verifies it only for the account signed in where the
        # link is opened, as the SMS code does for a number: whoever typed another person's
        # address in never sees the mail, and its owner, opening a link they never asked for,
        # is not signed in to that account.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.pk != email_address.user_id:
            self.add_message(
                request,
                messages.ERROR,
                message=gettext(
                    "To confirm this e-mail address, sign in to the account that gave it, "
                    "then open the link in the e-mail again."
                ),
            )
            return False
        return super().confirm_email(request, email_address)

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        # Only the account that verified the address may be reset through it.
        if not EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            self._send_unknown_account_mail(email)
            return
        super().send_password_reset_mail(user, email, context)

    def _store_phone(self, user, phone: str, verified: bool) -> None:
        # Only verified numbers are unique (the database constraint settles races): verifying a
        # number takes it off every account that holds it unverified.
        try:
            with transaction.atomic():
                if verified:
                    User.objects.filter(phone=phone, phone_verified=False).exclude(
                        pk=user.pk
                    ).update(phone=None)
                User.objects.filter(pk=user.pk).update(phone=phone, phone_verified=verified)
        except IntegrityError as exc:  # another account verified this number
            raise ValidationError(PHONE_TAKEN_MESSAGE, code="phone_taken") from exc
        user.phone = phone
        user.phone_verified = verified

    def set_phone(self, user, phone: str, verified: bool) -> None:
        self._store_phone(user, phone, verified)

    def get_phone(self, user):
        if user.phone:
            return user.phone, user.phone_verified
        return None

    def set_phone_verified(self, user, phone: str) -> None:
        # Called both after verifying the number already on the account and after
        # verifying a new number in the "change phone" flow, which must then be stored.
        self._store_phone(user, phone, True)

    def get_user_by_phone(self, phone: str):
        # allauth passes the login field as typed ("138 0013 8000" or "+86...").
        try:
            phone = normalize_phone(phone)
        except ValidationError:
            return None
        return User.objects.filter(phone=phone, phone_verified=True).first()
