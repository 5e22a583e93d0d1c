from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ServiceError

from . import services
from .context_processors import LARGE_TEXT_COOKIE, LARGE_TEXT_MAX_AGE, large_text_enabled
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


def _safe_next(request) -> str:
    target = request.POST.get("next") or ""
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@require_POST
def large_text(request):
    """Switch large text on or off (POST `large_text`=1/0, else toggle) and go back to `next`.

    Works without JavaScript. Signed-in people keep the choice on their account; everyone
    also gets a long-lived cookie so the choice survives signing out on the same phone.
    """
    wanted = request.POST.get("large_text")
    on = wanted == "1" if wanted in ("0", "1") else not large_text_enabled(request)
    if request.user.is_authenticated:
        services.set_large_text(actor=request.user, user=request.user, large_text=on)
    response = HttpResponseRedirect(_safe_next(request))
    response.set_cookie(
        LARGE_TEXT_COOKIE,
        "1" if on else "0",
        max_age=LARGE_TEXT_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response
