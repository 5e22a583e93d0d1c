"""The user forms of Wagtail's user admin and account page."""

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from wagtail.users.forms import UserCreationForm, UserEditForm

from core.inputs import CleanInputMixin

from ..adapter import PHONE_TAKEN_MESSAGE
from ..models import User
from ..phones import normalize_phone

# allauth's own wording (already translated).
EMAIL_TAKEN_MESSAGE = DefaultAccountAdapter.error_messages["email_taken"]
PROFILE_FIELDS = ["display_name", "phone", "phone_verified"]


class _LinliUserFormMixin:
    """Drops Wagtail's required first/last name; cleans e-mail and phone like the site does."""

    def clean_email(self):
        self.typed_email = (self.cleaned_data.get("email") or "").strip().lower()
        return self.typed_email

    def clean(self):
        # Wagtail refuses an address that any other account holds ("duplicate_username"), but
        # one held unverified owns nothing (accounts.adapter): only an address another account
        # verified is refused, as a typing mistake that staff are told about.
        cleaned_data = super().clean()
        errors = self.errors.get("email")
        if errors is not None:
            kept = [error for error in errors.as_data() if error.code != "duplicate_username"]
            if not kept:
                del self.errors["email"]
                cleaned_data["email"] = self.typed_email
            elif len(kept) < len(errors):
                self.errors["email"] = self.error_class(kept)
        email = cleaned_data.get("email")
        owner = User.objects.email_owner(email) if email else None
        if owner is not None and owner.pk != self.instance.pk:
            self.add_error("email", forms.ValidationError(EMAIL_TAKEN_MESSAGE, code="email_taken"))
        return cleaned_data

    def clean_phone(self):
        value = (self.cleaned_data.get("phone") or "").strip()
        if not value:
            return None
        phone = normalize_phone(value)  # ValidationError -> form error on "phone"
        # Unverified it would own nothing, but a number another account verified is almost
        # surely a typing mistake: staff are told (sign-up does not tell, to keep it private).
        holders = User.objects.filter(phone=phone, phone_verified=True)
        if self.instance.pk:
            holders = holders.exclude(pk=self.instance.pk)
        if holders.exists():
            raise forms.ValidationError(PHONE_TAKEN_MESSAGE, code="phone_taken")
        return phone

    def save(self, commit=True):
        user = super().save(commit=False)
        # A number typed in by staff is not verified unless they say so.
        if "phone" in self.changed_data and "phone_verified" not in self.changed_data:
            user.phone_verified = False
        if commit:
            user.save()
            self.save_m2m()
        return user


class LinliUserCreationForm(CleanInputMixin, _LinliUserFormMixin, UserCreationForm):
    first_name = None
    last_name = None

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["email", *PROFILE_FIELDS, "is_superuser", "groups"]
        widgets = {"groups": forms.CheckboxSelectMultiple}


class LinliUserEditForm(CleanInputMixin, _LinliUserFormMixin, UserEditForm):
    first_name = None
    last_name = None

    class Meta(UserEditForm.Meta):
        model = User
        fields = ["email", *PROFILE_FIELDS, "is_active", "is_superuser", "groups"]
        widgets = {"groups": forms.CheckboxSelectMultiple}


class AdminAccountNameForm(CleanInputMixin, forms.ModelForm):
    """The "name" panel of Wagtail's own account page: the display name.

    The e-mail address is changed on the site's account pages (allauth), where it is verified.
    """

    class Meta:
        model = User
        fields = ["display_name"]
