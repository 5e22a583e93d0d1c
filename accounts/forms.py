from django import forms
from django.utils.translation import gettext_lazy as _

from core.inputs import CleanInputMixin

from .models import User


class DisplayNameForm(CleanInputMixin, forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=User._meta.get_field("display_name").max_length,
        help_text=_("The name your neighbours see, e.g. Auntie Wang."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    def clean_display_name(self):
        value = " ".join(self.cleaned_data["display_name"].split())
        if not value:
            raise forms.ValidationError(_("Enter the name your neighbours will see."))
        return value


class SignupProfileForm(DisplayNameForm):
    """Extra sign-up fields that allauth merges into its own sign-up form.

    allauth builds its sign-up forms (site and headless) on top of this class
    (ACCOUNT_SIGNUP_FORM_CLASS), so the checks here cover both. The phone number is the new
    account's own once its code is typed in; an e-mail address given with it stays unverified
    until confirmed (one another account verified never is, and its owner is mailed instead:
    AccountAdapter.send_confirmation_mail).
    """

    field_order = ["phone", "display_name", "email", "password1", "password2"]
    # Drawn apart on the sign-up page, under "optional" (templates/account/signup.html).
    optional_fields = ("email", "password1", "password2")

    def signup(self, request, user):
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
