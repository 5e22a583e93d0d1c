"""allauth form overrides that need allauth.account.forms.

Kept apart from accounts/forms.py: allauth.account.forms imports ACCOUNT_SIGNUP_FORM_CLASS
(accounts.forms.SignupProfileForm) while it loads, so accounts.forms cannot import it back.
"""

from allauth.account.forms import ChangePhoneForm as AllauthChangePhoneForm

from .adapter import PHONE_TAKEN_MESSAGE, phone_in_use


class ChangePhoneForm(AllauthChangePhoneForm):
    """Refuses a number that another account holds, instead of texting a code to it.

    Phone numbers are unique, so (as with e-mail at sign-up) uniqueness wins over
    enumeration prevention. Settings: ACCOUNT_FORMS["change_phone"].
    """

    def clean_phone(self) -> str:
        phone = super().clean_phone()
        if phone and phone_in_use(phone, exclude_user=self.user):
            self.add_error("phone", PHONE_TAKEN_MESSAGE)
        return phone
