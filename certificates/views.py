"""Pages of real-name profiles and certificates. Thin: a selector or a service, then a template;
`certificates.permissions` says who sees what. A certificate that the viewer may not see is
answered like one that does not exist (404), so its number and holder stay unknown."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from communities.models import Community
from communities.permissions import staffed_communities
from core.errors import Conflict, ServiceError
from core.pages import apply_error, error_status, next_url
from live.texts import pick
from live.topics import event_label
from teams import ledger

from . import idnumbers, pdf, selectors, services
from . import permissions as perms
from .forms import CertificateRequestForm, IssueForm, ProfileForm, RevokeForm, VerifyForm
from .idnumbers import IdType
from .models import Certificate, CertificateLine, VolunteerProfile

#: How many rows a list shows at most (the newest).
LIST_LIMIT = 200


# --- the real-name profile ----------------------------------------------------------------------


def _profile_page(request, profile, form, *, revealed="", status=200):
    response = render(
        request,
        "certificates/profile.html",
        {
            "profile": profile,
            "form": form,
            "revealed": revealed,
            "id_type_label": IdType(profile.id_type).label if profile else "",
            "next": next_url(request, ""),
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@never_cache
def profile(request):
    user = request.user
    existing = VolunteerProfile.objects.filter(user=user).first()
    if request.method != "POST":
        return _profile_page(request, existing, ProfileForm(profile=existing))
    form = ProfileForm(request.POST, profile=existing)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.save_profile(
                actor=user,
                real_name=data["real_name"],
                id_type=data["id_type"],
                id_number=data["id_number"],
                volunteer_number=data["volunteer_number"],
            )
        except (ServiceError, ValidationError) as exc:
            apply_error(request, exc, form)
            return _profile_page(request, existing, form, status=error_status(exc))
        messages.success(request, _("Your real-name details were saved."))
        return redirect(next_url(request, reverse("certificates:profile")))
    return _profile_page(request, existing, form, status=400)


@login_required
@require_POST
@never_cache
def reveal(request):
    """The holder's own full document number, shown once on the page (never stored in a URL)."""
    existing = get_object_or_404(VolunteerProfile, user=request.user)
    number = services.reveal_id_number(actor=request.user, profile=existing)
    return _profile_page(request, existing, ProfileForm(profile=existing), revealed=number)


# --- my certificates ----------------------------------------------------------------------------


def served_communities(user) -> list[Community]:
    """The communities where `user` has approved hours, each with `approved_hours` (one
    grouped query of the ledger and one of the communities)."""
    rows = (
        ledger.approved_records(volunteer=user)
        .order_by()
        .values("community_id")
        .annotate(total=Sum("hours"))
    )
    totals = {row["community_id"]: row["total"] for row in rows}
    if not totals:
        return []
    communities = list(Community.objects.filter(pk__in=totals).order_by("name"))
    for community in communities:
        community.approved_hours = totals[community.pk].normalize()
    return communities


def _mine_page(request, form=None, *, status=200):
    user = request.user
    certificates = list(
        Certificate.objects.filter(holder=user)
        .select_related("community")
        .order_by("-requested_at", "-pk")[:LIST_LIMIT]
    )
    communities = served_communities(user)
    has_profile = VolunteerProfile.objects.filter(user=user).exists()
    return render(
        request,
        "certificates/mine.html",
        {
            "certificates": certificates,
            "communities": communities,
            "form": form or CertificateRequestForm(communities=communities),
            "has_profile": has_profile,
        },
        status=status,
    )


@login_required
def mine(request):
    return _mine_page(request)


@login_required
@require_POST
def request_certificate(request):
    user = request.user
    form = CertificateRequestForm(request.POST, communities=served_communities(user))
    if not form.is_valid():
        return _mine_page(request, form, status=400)
    data = form.cleaned_data
    try:
        certificate, created = services.request_certificate(
            actor=user,
            community=data["community"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            purpose=data["purpose"],
        )
    except Conflict as exc:
        if exc.code == "profile_required":
            messages.warning(request, str(exc.detail))
            query = urlencode({"next": reverse("certificates:mine")})
            return redirect(f"{reverse('certificates:profile')}?{query}")
        apply_error(request, exc, form)
        return _mine_page(request, form, status=error_status(exc))
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc, form)
        return _mine_page(request, form, status=error_status(exc))
    if created:
        messages.success(
            request, _("Your request was sent to the community staff. They will check your hours.")
        )
    else:
        messages.info(request, _("You have asked for this already; the request is waiting."))
    return redirect(certificate)


# --- one certificate ----------------------------------------------------------------------------


def _visible_certificate(request, pk) -> Certificate:
    try:
        certificate = selectors.certificate_detail(pk=pk)
    except Certificate.DoesNotExist:
        raise Http404 from None
    if not perms.can_see_certificate(request.user, certificate):
        raise Http404
    return certificate


def _preview_lines(certificate) -> list[CertificateLine]:
    """For a request: the lines issuing it now would give (unsaved), from the ledger."""
    records = selectors.certifiable_records(certificate=certificate)[:LIST_LIMIT]
    return selectors.lines_for(certificate=certificate, records=records)


def _detail_page(request, certificate, *, status=200, **bound):
    user = request.user
    issued = certificate.status != Certificate.Status.REQUESTED
    if issued:
        lines = list(selectors.lines(certificate=certificate))
        for line in lines:
            line.evidence_url = reverse("certificates:evidence", args=[certificate.pk, line.pk])
    else:
        lines = _preview_lines(certificate)
        for line in lines:
            line.evidence_url = reverse(
                "certificates:record_evidence", args=[certificate.pk, line.record.pk]
            )
    preview_total = sum((line.hours for line in lines), start=0) if not issued else None
    profile = None
    if not issued:
        profile = VolunteerProfile.objects.filter(user_id=certificate.holder_id).first()
    forms = {}
    if perms.may_issue(user, certificate) and not issued:
        forms["issue_form"] = bound.get("issue_form") or IssueForm(prefix="issue")
    if perms.may_revoke(user, certificate) and certificate.status != Certificate.Status.REVOKED:
        forms["revoke_form"] = bound.get("revoke_form") or RevokeForm(prefix="revoke")
    community = certificate.community
    return render(
        request,
        "certificates/detail.html",
        {
            "certificate": certificate,
            "status": certificate.current_status,
            "issued": issued,
            "lines": lines,
            "total": certificate.total_hours if issued else preview_total,
            "profile": profile,
            "holder_name": certificate.holder_name if issued else (profile and profile.real_name),
            "id_type_label": _id_type_label(
                certificate.holder_id_type if issued else (profile and profile.id_type)
            ),
            "id_number_masked": (
                certificate.holder_id_number_masked
                if issued
                else (profile.id_number_masked if profile else "")
            ),
            "volunteer_number": (
                certificate.holder_volunteer_number
                if issued
                else (profile.volunteer_number if profile else "")
            ),
            "issuer_name": certificate.issuer_name if issued else community.name,
            "person_in_charge": (
                certificate.person_in_charge if issued else community.person_in_charge
            ),
            "contact": certificate.contact if issued else community.contact_phone,
            "is_holder": perms.is_holder(user, certificate),
            "verify_url": request.build_absolute_uri(certificate.verify_path()) if issued else "",
            **forms,
        },
        status=status,
    )


def _id_type_label(value) -> str:
    return str(IdType(value).label) if value in IdType.values else ""


@login_required
def detail(request, pk):
    certificate = _visible_certificate(request, pk)
    return _detail_page(request, certificate)


@login_required
@require_POST
def issue(request, pk):
    certificate = _visible_certificate(request, pk)
    form = IssueForm(request.POST, prefix="issue")
    if form.is_valid():
        try:
            certificate = services.issue_certificate(
                actor=request.user, certificate=certificate, remarks=form.cleaned_data["remarks"]
            )
        except (ServiceError, ValidationError) as exc:
            apply_error(request, exc, form)
            certificate = selectors.certificate_detail(pk=certificate.pk)
            return _detail_page(request, certificate, status=error_status(exc), issue_form=form)
        messages.success(
            request,
            _("Certificate %(number)s issued. It is on public notice until %(until)s.")
            % {
                "number": certificate.number,
                "until": _local_date(certificate.publicity_until),
            },
        )
        return redirect(certificate)
    return _detail_page(request, certificate, status=400, issue_form=form)


@login_required
@require_POST
def revoke(request, pk):
    certificate = _visible_certificate(request, pk)
    form = RevokeForm(request.POST, prefix="revoke")
    if form.is_valid():
        try:
            services.revoke_certificate(
                actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"]
            )
        except (ServiceError, ValidationError) as exc:
            apply_error(request, exc, form)
            certificate = selectors.certificate_detail(pk=certificate.pk)
            return _detail_page(request, certificate, status=error_status(exc), revoke_form=form)
        messages.success(request, _("The certificate was revoked."))
        return redirect(certificate)
    return _detail_page(request, certificate, status=400, revoke_form=form)


def _local_date(value):
    from django.utils import formats, timezone

    return formats.date_format(timezone.localtime(value), "DATE_FORMAT") if value else ""


def _evidence_items(evidence) -> list[dict]:
    items = []
    for event in evidence["events"]:
        data = event.data if isinstance(event.data, dict) else {}
        update = data.get("update") if isinstance(data.get("update"), dict) else None
        photo = update.get("photo") if update else None
        items.append(
            {
                "event": event,
                "label": event_label(event.type),
                "text": pick(data),
                "update_text": (update or {}).get("text") or "",
                # Only the site's own access-checked addresses (teams.models.TaskUpdate.photo_url).
                "photo": photo if isinstance(photo, str) and photo.startswith("/") else None,
            }
        )
    return items


def _evidence_page(request, certificate, line):
    evidence = selectors.evidence(viewer=request.user, line=line)
    return render(
        request,
        "certificates/evidence.html",
        {
            "certificate": certificate,
            "line": line,
            "evidence": evidence,
            "items": _evidence_items(evidence),
        },
    )


@login_required
def evidence(request, pk, line_pk):
    certificate = _visible_certificate(request, pk)
    line = get_object_or_404(selectors.lines(certificate=certificate), pk=line_pk)
    return _evidence_page(request, certificate, line)


@login_required
def record_evidence(request, pk, record_pk):
    """Before issuing: the evidence of a record that the request would certify."""
    certificate = _visible_certificate(request, pk)
    if certificate.status != Certificate.Status.REQUESTED:
        raise Http404
    record = get_object_or_404(
        selectors.certifiable_records(certificate=certificate).select_related("attendance"),
        pk=record_pk,
    )
    (line,) = selectors.lines_for(certificate=certificate, records=[record])
    return _evidence_page(request, certificate, line)


@login_required
def certificate_pdf(request, pk):
    certificate = _visible_certificate(request, pk)
    if certificate.status == Certificate.Status.REQUESTED or not certificate.number:
        raise Http404
    return pdf.download(request, certificate)


# --- public: the notice list and verification ---------------------------------------------------


def publicity(request, community_pk):
    community = get_object_or_404(Community, pk=community_pk)
    rows = list(selectors.publicity_list(community=community)[:LIST_LIMIT])
    for row in rows:
        row.masked_name = idnumbers.mask_name(row.holder_name)
    return render(
        request,
        "certificates/publicity.html",
        {"community": community, "rows": rows, "limit": LIST_LIMIT},
    )


def verify_form(request):
    if "number" in request.GET:
        form = VerifyForm(request.GET)
        if form.is_valid():
            return redirect("certificates:verify", number=form.cleaned_data["number"])
        return render(
            request, "certificates/verify.html", {"form": form, "asked": False}, status=400
        )
    return render(request, "certificates/verify.html", {"form": VerifyForm(), "asked": False})


def verify(request, number):
    answer = selectors.verification(number=number)
    form = VerifyForm(initial={"number": number[:40]})
    return render(
        request,
        "certificates/verify.html",
        {"form": form, "asked": True, "answer": answer},
        status=200 if answer else 404,
    )


# --- staff --------------------------------------------------------------------------------------


@login_required
def staff_list(request):
    user = request.user
    if not staffed_communities(user).exists():
        raise PermissionDenied(_("Only community staff handle certificates."))
    base = perms.certificates_for_staff(user).select_related("community", "holder")
    requested = list(
        base.filter(status=Certificate.Status.REQUESTED).order_by("requested_at", "pk")[:LIST_LIMIT]
    )
    issued = list(
        base.exclude(status=Certificate.Status.REQUESTED).order_by("-issued_at", "-pk")[:LIST_LIMIT]
    )
    return render(
        request,
        "certificates/staff_list.html",
        {"requested": requested, "issued": issued, "limit": LIST_LIMIT},
    )
