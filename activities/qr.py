"""The check-in code as a QR image: an SVG drawn on the server (no script, nothing fetched
from elsewhere), small enough to send every 30 seconds."""

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

from . import codes


def svg(data: str) -> str:
    """The QR code of `data` as an inline <svg> element (its size is set by the page's CSS)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
        image_factory=SvgPathImage,
    )
    code.add_data(data)
    code.make(fit=True)
    return code.make_image().to_string(encoding="unicode")


def scan_path(activity, purpose: str) -> str:
    """The path a scanned code leads to: the activity's check-in (or check-out) page."""
    from django.urls import NoReverseMatch, reverse

    name = "activities:check_in" if purpose == "in" else "activities:check_out"
    try:
        return reverse(name, args=[activity.pk])
    except NoReverseMatch:
        slug = "check-in" if purpose == "in" else "check-out"
        return f"/activities/{activity.pk}/{slug}/"


def current_code(request, activity, purpose: str) -> dict:
    """{code, expires_at (ISO 8601), url (absolute, to scan), svg} of now."""
    import datetime

    from django.utils.http import urlencode

    code, until = codes.current(activity, purpose)
    url = request.build_absolute_uri(f"{scan_path(activity, purpose)}?{urlencode({'code': code})}")
    expires = datetime.datetime.fromtimestamp(until, tz=datetime.UTC)
    return {"code": code, "expires_at": expires.isoformat(), "url": url, "svg": svg(url)}
