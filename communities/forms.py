from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.inputs import CleanInputMixin

from . import permissions
from .models import Community, Membership


class JoinForm(CleanInputMixin, forms.Form):
    note = forms.CharField(
        label=_("Note for the staff (optional)"),
        help_text=_("For example your building and flat, so the staff can recognise you."),
        required=False,
        max_length=Membership._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VerifyForm(CleanInputMixin, forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.RESIDENT
    )


class RejectForm(CleanInputMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("The applicant will see this."),
        max_length=Membership._meta.get_field("decision_reason").max_length,
    )


class RoleForm(CleanInputMixin, forms.Form):
    role = forms.ChoiceField(label=_("New role"), choices=Membership.Role.choices)


class GrantForm(CleanInputMixin, forms.Form):
    """Admin: make a person a verified member of a community the actor staffs."""

    email = forms.EmailField(label=_("E-mail address of the person"))
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = permissions.staffed_communities(user).select_related(
            "parent"
        )
        self.fields["community"].label_from_instance = lambda c: " › ".join(
            part for part in (c.parent.name if c.parent_id else "", c.name) if part
        )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        # Only the account that verified the address: anyone may type in someone else's.
        user = User.objects.email_owner(email)
        if user is None:
            raise forms.ValidationError(
                _("Nobody has signed up with this e-mail address and verified it.")
            )
        self.cleaned_data["user"] = user
        return email
