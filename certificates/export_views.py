"""The export page: staff choose a period, a community they staff and optionally a team serving
it, and download the approved hours for the national system (certificates.exports)."""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from communities.permissions import staffed_communities
from core import spreadsheets
from core.errors import ServiceError
from core.inputs import CleanInputMixin
from core.pages import apply_error, error_status
from teams.models import Team

from . import exports


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ExportForm(CleanInputMixin, forms.Form):
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"), queryset=None, empty_label=None
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team (optional)"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All teams and activities"),
        help_text=gettext_lazy("Only the hours served for this team."),
    )
    start = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), widget=DateInput())
    #: Set by the button pressed (Enter presses the first: CSV).
    file_format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("xlsx", "Excel")], required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        communities = staffed_communities(user).order_by("path")
        self.fields["community"].queryset = communities
        ancestors = {pk for community in communities for pk in community.ancestor_ids}
        self.fields["team"].queryset = (
            Team.objects.filter(communities__in=ancestors).distinct().order_by("name")
        )


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """From the first day of last month to today."""
    first = today.replace(day=1)
    last_month = (first - datetime.timedelta(days=1)).replace(day=1)
    return last_month, today


def _page(request, form, status=200):
    return render(request, "certificates/export.html", {"form": form}, status=status)


@login_required
@never_cache
def export(request):
    user = request.user
    if not staffed_communities(user).exists():
        raise PermissionDenied(_("Only community staff can export volunteers' hours."))
    if request.method != "POST":
        start, end = default_period(timezone.localdate())
        return _page(request, ExportForm(user=user, initial={"start": start, "end": end}))
    form = ExportForm(request.POST, user=user)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        name, content_type, content = exports.export_hours(
            actor=user,
            community=data["community"],
            team=data["team"],
            start=data["start"],
            end=data["end"],
            file_format=data["file_format"] or "csv",
        )
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc, form)
        return _page(request, form, status=error_status(exc))
    response = spreadsheets.attachment(content, content_type=content_type, filename=name)
    response["Cache-Control"] = "private, no-store"
    return response
