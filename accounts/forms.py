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
    (ACCOUNT_SIGNUP_FORM_CLASS), so the checks here cover both.
    """

    field_order = ["email", "display_name", "phone", "password1", "password2"]

    def clean(self):
        cleaned_data = super().clean()
        email = cleaned_data.get("email")
        if email:
            # allauth counts any holder of the address, verified or not, as an existing
            # account; only the one that verified it is. Then allauth answers as for a new
            # account and mails the owner instead of creating one (enumeration prevention), and
            # an address someone else typed in but never verified does not stop its owner.
            # allauth then checks the phone number the same way (get_user_by_phone).
            self.account_already_exists = User.objects.email_owner(email) is not None
        return cleaned_data

    def signup(self, request, user):
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
