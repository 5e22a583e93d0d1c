from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import User
from .phones import normalize_phone
from .sms import send_sms


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
                }
            ),
        )
        kwargs.setdefault("label", _("Phone number"))
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value:
            value = normalize_phone(value)
        return value


class AccountAdapter(DefaultAccountAdapter):
    def phone_form_field(self, **kwargs):
        return PhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalize_phone(phone)

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

    def set_phone(self, user, phone: str, verified: bool) -> None:
        if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
            raise ValidationError(_("This phone number is already in use."), code="phone_taken")
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user):
        if user.phone:
            return user.phone, user.phone_verified
        return None

    def set_phone_verified(self, user, phone: str) -> None:
        User.objects.filter(pk=user.pk, phone=phone).update(phone_verified=True)
        user.phone_verified = True

    def get_user_by_phone(self, phone: str):
        return User.objects.filter(phone=phone).first()
