"""The admin's "Certificates" menu: volunteer service certificates and the requests for them.

Every view applies the policy of certificates.admin.policies (communities.admin.scope): staff
reach the certificates of the communities they staff and those below. Nothing is added or
deleted here (volunteers ask on the site; certificates are revoked, never deleted), and names
and document numbers show masked.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from communities.admin.scope import CommunityScopedViewSetMixin
from core.admin_views import ServiceFormViewSetMixin

from ..models import Certificate
from .filters import CertificateFilterSet
from .views import (
    CertificateDecisionView,
    CertificateIndexView,
    masked_name,
    masked_number,
    status_text,
)


class CertificateViewSet(CommunityScopedViewSetMixin, ServiceFormViewSetMixin, ModelViewSet):
    model = Certificate
    icon = "doc-full"
    menu_label = _("Volunteer service certificates")
    add_to_admin_menu = False
    index_view_class = CertificateIndexView
    edit_view_class = CertificateDecisionView
    copy_view_enabled = False
    list_display = [
        Column(
            "number",
            label=_("Certificate number"),
            accessor=lambda c: c.number or "—",
            sort_key="number",
        ),
        Column("holder_name", label=_("Name"), accessor=masked_name),
        Column("holder_id_number", label=_("Document number"), accessor=masked_number),
        "community",
        Column(
            "period",
            label=pgettext_lazy("certificate", "Period"),
            accessor=lambda c: f"{c.period_start} – {c.period_end}",
            sort_key="period_start",
        ),
        Column("total_hours", label=_("Hours"), sort_key="total_hours"),
        Column("status", label=_("Status"), accessor=status_text, sort_key="status"),
        Column("requested_at", label=_("Requested at"), sort_key="requested_at"),
    ]
    filterset_class = CertificateFilterSet
    search_fields = ["number"]
    ordering = ["-requested_at", "-pk"]

    # No add, delete, copy, usage or export: decided through the services, never deleted.
    url_names = {"index", "index_results", "edit", "history", "history_results"}


class CertificatesViewSetGroup(ModelViewSetGroup):
    menu_label = pgettext_lazy("admin menu", "Certificates")
    menu_icon = "doc-full"
    menu_order = 268
    items = (CertificateViewSet("certificates_certificate"),)
