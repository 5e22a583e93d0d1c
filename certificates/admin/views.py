"""The certificates' admin pages.

Certificates change only through certificates.services: the admin "edit" view of a certificate
is a decision page (issue, revoke, turn a request down) that calls them, with their audit log
and live events. Names and document numbers appear masked on every page here; the full number
is on the certificate itself, which the holder and the issuing staff open on the site.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views import generic

from core.admin_views import ObjectPageMixin
from core.errors import ServiceError

from .. import idnumbers, selectors, services
from .. import permissions as perms
from ..models import Certificate
from .forms import IssueForm, RevokeForm


def profile_of(certificate: Certificate):
    """The holder's real-name profile (selected with the certificate), or None."""
    try:
        return certificate.holder.volunteer_profile
    except ObjectDoesNotExist:
        return None


def masked_name(certificate: Certificate) -> str:
    """The name on the certificate, masked; before it is issued, the profile's."""
    name = certificate.holder_name
    if not name and (profile := profile_of(certificate)) is not None:
        name = profile.real_name
    return idnumbers.mask_name(name) if name else "—"


def masked_number(certificate: Certificate) -> str:
    number = certificate.holder_id_number_masked
    if not number and (profile := profile_of(certificate)) is not None:
        number = profile.id_number_masked
    return number or "—"


def is_turned_down(certificate: Certificate) -> bool:
    return certificate.status == Certificate.Status.REVOKED and not certificate.number


def status_text(certificate: Certificate) -> str:
    if is_turned_down(certificate):
        return gettext("Request turned down")
    return certificate.get_current_status_display()


class CertificateIndexView(generic.IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("community", "holder", "holder__volunteer_profile")
        )

    def get_list_more_buttons(self, instance):
        buttons = []
        if edit_url := self.get_edit_url(instance):
            label = (
                _("Issue or turn down")
                if instance.status == Certificate.Status.REQUESTED
                else pgettext_lazy("certificate admin", "Open")
            )
            buttons.append(MenuItem(label, url=edit_url, icon_name="edit", priority=10))
        if self.history_url_name:
            buttons.append(
                MenuItem(
                    _("History"),
                    url=reverse(self.history_url_name, args=[instance.pk]),
                    icon_name="history",
                    priority=20,
                )
            )
        return buttons


class CertificateDecisionView(ObjectPageMixin, TemplateView):
    """The admin "edit" page of a certificate: what it says (masked), its lines, and the
    issue and revoke forms for the staff who may decide."""

    model = Certificate
    template_name = "certificates/admin/certificate_decide.html"
    header_icon = "doc-full"
    page_title = _("Volunteer service certificate")

    def get_base_object_queryset(self):
        return Certificate.objects.select_related(
            "community", "holder", "holder__volunteer_profile", "issued_by", "revoked_by"
        )

    def get_page_subtitle(self):
        return self.object.number or masked_name(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        certificate = self.object
        user = self.request.user
        requested = certificate.status == Certificate.Status.REQUESTED
        context.update(
            {
                "object": certificate,
                "masked_name": masked_name(certificate),
                "masked_number": masked_number(certificate),
                "id_type": (
                    certificate.get_holder_id_type_display()
                    if certificate.holder_id_type
                    else getattr(profile_of(certificate), "get_id_type_display", lambda: "")()
                ),
                "has_profile": bool(certificate.holder_name) or profile_of(certificate) is not None,
                "status_text": status_text(certificate),
                "turned_down": is_turned_down(certificate),
                "lines": list(selectors.lines(certificate=certificate).select_related("record")),
                "site_url": certificate.get_absolute_url(),
                "verify_url": certificate.verify_path(),
                "issue_form": kwargs.get("issue_form") or IssueForm(),
                "revoke_form": kwargs.get("revoke_form") or RevokeForm(),
                "can_issue": requested and perms.may_issue(user, certificate),
                "can_revoke": certificate.status != Certificate.Status.REVOKED
                and perms.may_revoke(user, certificate),
                "requested": requested,
                "history_url": reverse(self.history_url_name, args=[certificate.pk])
                if self.history_url_name
                else None,
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        form_classes = {"issue": IssueForm, "revoke": RevokeForm}
        if action not in form_classes:
            messages.error(request, gettext("Unknown action."))
            return redirect(request.path)
        form = form_classes[action](request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Please correct the errors below."))
            return self.render_to_response(self.get_context_data(**{f"{action}_form": form}))
        certificate = self.object
        try:
            if action == "issue":
                certificate = services.issue_certificate(
                    actor=request.user,
                    certificate=certificate,
                    remarks=form.cleaned_data["remarks"],
                )
                done = gettext("Certificate %(number)s issued; it is now on public notice.") % {
                    "number": certificate.number
                }
            else:
                was_request = certificate.status == Certificate.Status.REQUESTED
                services.revoke_certificate(
                    actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"]
                )
                done = (
                    gettext("The request was turned down.")
                    if was_request
                    else gettext("Certificate revoked.")
                )
        except ServiceError as exc:
            messages.error(request, str(exc.detail))
            return redirect(request.path)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)
        messages.success(request, done)
        return redirect(request.path)
