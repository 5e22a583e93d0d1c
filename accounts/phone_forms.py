"""allauth form overrides that need allauth.account.forms.

Kept apart from accounts/forms.py: allauth.account.forms imports ACCOUNT_SIGNUP_FORM_CLASS
(accounts.forms.SignupProfileForm) while it loads, so accounts.forms cannot import it back.
"""

from allauth.account.adapter import get_adapter
from allauth.account.forms import ChangePhoneForm as AllauthChangePhoneForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm

from .adapter import PHONE_TAKEN_MESSAGE


class ChangePhoneForm(AllauthChangePhoneForm):
    """Refuses a number that another account verified, instead of texting a code to it.

    allauth's change-phone flow texts a code even then and only fails once it is typed in, so
    it tells no less; refusing first spares the number's owner an SMS. A signed-in person who
    verified their e-mail can ask once a minute (ACCOUNT_RATE_LIMITS "change_phone"). A number
    held but not verified does not count: it owns nothing. Settings: ACCOUNT_FORMS["change_phone"].
    """

    def clean_phone(self) -> str:
        phone = super().clean_phone()
        holder = get_adapter().get_user_by_phone(phone) if phone else None
        if holder is not None and holder.pk != self.user.pk:
            self.add_error("phone", PHONE_TAKEN_MESSAGE)
        return phone


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    """The sign-in code form asks for the phone number first, the e-mail address after it.

    allauth adds the phone field after the e-mail field. Settings:
    ACCOUNT_FORMS["request_login_code"].
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["phone", "email"])
