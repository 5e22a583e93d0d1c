"""allauth adapter: phone numbers live on accounts.User (E.164), codes go out by SMS.

allauth 65 needs five phone methods (send_verification_code_sms, set_phone, get_phone,
set_phone_verified, get_user_by_phone); `_has_phone_impl` checks they are all overridden.
"""

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
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


def phone_in_use(phone: str, *, exclude_user=None) -> bool:
    users = User.objects.filter(phone=phone)
    if exclude_user is not None and exclude_user.pk:
        users = users.exclude(pk=exclude_user.pk)
    return users.exists()


class AccountAdapter(DefaultAccountAdapter):
    def phone_form_field(self, **kwargs):
        return PhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalize_phone(phone)

    def generate_phone_verification_code(self, *, user, phone: str) -> str:
        # Six digits: what people in China expect from an SMS code, easy to type on a phone.
        return get_random_string(6, allowed_chars="0123456789")

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
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

    def _store_phone(self, user, phone: str, verified: bool) -> None:
        if phone_in_use(phone, exclude_user=user):
            raise ValidationError(PHONE_TAKEN_MESSAGE, code="phone_taken")
        try:
            with transaction.atomic():
                User.objects.filter(pk=user.pk).update(phone=phone, phone_verified=verified)
        except IntegrityError as exc:  # lost a race for the same number
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
        return User.objects.filter(phone=phone).first()
