"""The attendance list as CSV (with a UTF-8 BOM, so Excel shows Chinese) and XLSX (openpyxl,
the library Wagtail's list export uses). Phones are masked but for the last four digits."""

import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import spreadsheets
from core.spreadsheets import XLSX_TYPE
from teams.models import ServiceRecord

from . import selectors
from .models import Attendance, Signup


def mask_phone(phone) -> str:
    """'+8613800001234' -> '*******1234': enough to tell two people apart, not to call them."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    national = phone[3:] if phone.startswith("+86") else phone.lstrip("+")
    digits = "".join(ch for ch in national if ch.isdigit())
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def headers() -> list[str]:
    column = "attendance export column"
    return [
        pgettext(column, "Name"),
        pgettext(column, "Phone"),
        pgettext(column, "Sign-up status"),
        pgettext(column, "Checked in"),
        pgettext(column, "Checked out"),
        pgettext(column, "Method"),
        pgettext(column, "Hours"),
        pgettext(column, "Record status"),
    ]


def _method(attendance) -> str:
    labels = dict(Attendance.Method.choices)
    text = str(labels.get(attendance.check_in_method, attendance.check_in_method))
    out = attendance.check_out_method
    if out and out != attendance.check_in_method:
        text = f"{text} / {labels.get(out, out)}"
    return text


def rows(activity) -> list[list]:
    """One list per person (sign-up order, then those who attended without a sign-up):
    name, masked phone, sign-up status, local check-in and check-out times (naive datetimes
    or None), method, hours (Decimal or None), record status."""
    signups, walk_ins = selectors.attendance_list(activity=activity)
    signup_labels = dict(Signup.Status.choices)
    record_labels = dict(ServiceRecord.Status.choices)
    lines = [(s.person, str(signup_labels.get(s.status, s.status)), s.attendance) for s in signups]
    lines += [(a.person, _("No sign-up"), a) for a in walk_ins]
    result = []
    for person, status, attendance in lines:
        row = [person.get_display_name(), mask_phone(person.phone), status]
        if attendance is None:
            row += [None, None, "", None, ""]
        else:
            record = attendance.record
            row += [
                _local(attendance.checked_in_at),
                _local(attendance.checked_out_at),
                _method(attendance),
                attendance.hours,
                str(record_labels.get(record.status, record.status)) if record else "",
            ]
        result.append(row)
    return result


def _local(value):
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0)


def _filename(activity, ext: str) -> str:
    return f"activity-{activity.pk}-attendance.{ext}"


def _csv_text(value) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    return spreadsheets.cell_text(value)


def csv_response(activity) -> HttpResponse:
    lines = [headers(), *([_csv_text(value) for value in row] for row in rows(activity))]
    return spreadsheets.attachment(
        spreadsheets.csv_bytes(lines),
        content_type=spreadsheets.CSV_TYPE,
        filename=_filename(activity, "csv"),
    )


def xlsx_bytes(activity) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Attendance")[:31]
    sheet.append(headers())
    for row in rows(activity):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even "=..." (no formulas)
            elif hasattr(cell.value, "strftime"):
                cell.number_format = "yyyy-mm-dd hh:mm"
    for column, width in zip("ABCDEFGH", (16, 14, 12, 18, 18, 22, 8, 10), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(activity) -> HttpResponse:
    return spreadsheets.attachment(
        xlsx_bytes(activity),
        content_type=XLSX_TYPE,
        filename=_filename(activity, "xlsx"),
    )
