"""allauth form overrides for e-mail addresses (apart from accounts/forms.py, as phone_forms.py)."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import BaseConfirmCodeForm

from .models import User


class ConfirmEmailVerificationCodeForm(BaseConfirmCodeForm):
    """The e-mail verification code page: the right code verifies the address unless another
    account verified it first.

    allauth's own page form also refuses an address that other accounts merely hold
    unverified, which would keep the owner out for good once someone typed their address in;
    allauth's app API (headless VerifyEmailInput) already applies this rule.
    Settings: ACCOUNT_FORMS["confirm_email_verification_code"].
    """

    def __init__(self, *args, **kwargs) -> None:
        self.user = kwargs.pop("user", None)
        self.email = kwargs.pop("email", None)
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = super().clean_code()
        owner = User.objects.email_owner(self.email) if self.email else None
        if owner is not None and (self.user is None or owner.pk != self.user.pk):
            raise get_adapter().validation_error("email_taken")
        return code
