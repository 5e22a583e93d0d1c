from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from config.errors import ServiceError

from . import services
from .forms import DisplayNameForm


@login_required
def profile(request):
    user = request.user
    if request.method == "POST":
        form = DisplayNameForm(request.POST)
        if form.is_valid():
            try:
                services.update_display_name(
                    actor=user, user=user, display_name=form.cleaned_data["display_name"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except ServiceError as exc:
                form.add_error(None, str(exc.detail))
            else:
                messages.success(request, _("Your display name has been saved."))
                return redirect("accounts:profile")
    else:
        form = DisplayNameForm(initial={"display_name": user.display_name})
    memberships = request.user.memberships.select_related("community")
    return render(
        request,
        "accounts/profile.html",
        {"memberships": memberships, "form": form},
    )
