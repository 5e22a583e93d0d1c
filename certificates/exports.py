"""Approved hours for the national volunteer service information system's batch import, as
CSV (UTF-8 with a BOM, so that Excel shows Chinese) and XLSX (openpyxl).

The columns and their Chinese headings are the import template's, whatever language the page
is in: 姓名, 证件类型, 证件号码, 志愿者编号, 活动名称, 服务日期, 服务时长（小时）. The document
numbers are in full (that is what the import needs), so every export writes an audit entry
(linli.certificate.export) with its filter and row count, and only the community's staff may
make one (permissions.may_export). Volunteers without real-name details cannot be imported;
they are listed apart under 缺少实名信息 (a second sheet; a section after an empty line in
the CSV, present only when there are such volunteers) rather than silently left out.

The hours are read through teams.ledger.approved_records, like every other total of the site.
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from core import spreadsheets
from core.errors import NotAllowed
from core.spreadsheets import XLSX_TYPE
from teams import ledger
from teams.models import Team
from teams.services.common import require_signed_in

from . import permissions as perms
from .idnumbers import IdType
from .models import VolunteerProfile

HEADINGS = [
    "姓名",
    "证件类型",
    "证件号码",
    "志愿者编号",
    "活动名称",
    "服务日期",
    "服务时长（小时）",
]
MISSING_TITLE = "缺少实名信息"
MISSING_HEADINGS = ["平台用户", "服务记录数", "服务时长（小时）"]
SHEET_TITLE = "志愿服务时长"
#: The document types as the national system names them (never translated).
ID_TYPE_NAMES = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.PASSPORT: "护照",
    IdType.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    IdType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
}
#: What a confidential task is called: the export leaves the community.
CONFIDENTIAL = "社区服务（保密）"
FORMATS = ("csv", "xlsx")
PERIOD_MAX = datetime.timedelta(days=366 * 5)


@dataclass
class Missing:
    """A volunteer with approved hours in the export but no real-name details."""

    name: str
    records: int = 0
    hours: Decimal = Decimal("0")


@dataclass
class HoursExport:
    rows: list[list] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)

    @property
    def hours(self) -> Decimal:
        return sum((row[6] for row in self.rows), start=Decimal("0"))


def teams_serving(community):
    """Teams that serve `community`, a community above it or one below it."""
    return (
        Team.objects.filter(
            Q(communities__in=community.ancestor_ids)
            | Q(communities__path__startswith=community.path)
        )
        .distinct()
        .order_by("name")
    )


def hours_text(hours: Decimal) -> str:
    """3.00 -> "3", 2.50 -> "2.5"."""
    text = f"{hours:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def activity_name(record) -> str:
    if record.task_id and record.task.sensitive:
        return CONFIDENTIAL
    return record.what


def collect(*, community, team=None, start, end) -> HoursExport:
    """The rows (one per approved record, by volunteer and date: name, ID type, full number,
    volunteer number, what was done, the date as text, hours as a Decimal) and the volunteers
    without real-name details. Three queries however many rows."""
    records = (
        ledger.approved_records(community=community, team=team, start=start, end=end)
        .select_related("volunteer", "task")
        .order_by("volunteer_id", "date", "pk")
    )
    records = list(records)
    profiles = {
        profile.user_id: profile
        for profile in VolunteerProfile.objects.filter(
            user_id__in={record.volunteer_id for record in records}
        )
    }
    numbers = {user_id: profile.id_number() for user_id, profile in profiles.items()}
    result = HoursExport()
    missing: dict[int, Missing] = {}
    for record in records:
        profile = profiles.get(record.volunteer_id)
        if profile is None:
            entry = missing.setdefault(
                record.volunteer_id, Missing(name=record.volunteer.get_display_name())
            )
            entry.records += 1
            entry.hours += record.hours
            continue
        result.rows.append(
            [
                profile.real_name,
                ID_TYPE_NAMES.get(profile.id_type, profile.id_type),
                numbers[record.volunteer_id],
                profile.volunteer_number,
                activity_name(record),
                record.date.isoformat(),
                record.hours,
            ]
        )
    result.missing = list(missing.values())
    return result


def csv_bytes(data: HoursExport) -> bytes:
    safe = spreadsheets.cell_text
    lines = [HEADINGS]
    lines += [[safe(value) for value in row[:6]] + [hours_text(row[6])] for row in data.rows]
    if data.missing:
        lines += [[], [MISSING_TITLE], MISSING_HEADINGS]
        lines += [
            [safe(entry.name), entry.records, hours_text(entry.hours)] for entry in data.missing
        ]
    return spreadsheets.csv_bytes(lines)


def _text_row(sheet, values, text_columns: int) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row][:text_columns]:
        if cell.value is not None:
            cell.value = str(cell.value)
            cell.data_type = "s"  # text stays text, even "=..." (no formulas)
            cell.number_format = "@"  # an 18-digit number stays as typed


def xlsx_bytes(data: HoursExport) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(HEADINGS)
    for row in data.rows:
        _text_row(sheet, row, 6)
    for column, width in zip("ABCDEFG", (12, 22, 24, 20, 32, 12, 16), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    if data.missing:
        other = workbook.create_sheet(MISSING_TITLE)
        other.append(MISSING_HEADINGS)
        for entry in data.missing:
            _text_row(other, [entry.name, entry.records, entry.hours], 1)
        for column, width in zip("ABC", (20, 12, 16), strict=True):
            other.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _check(*, community, team, start, end, file_format) -> None:
    errors = {}
    if file_format not in FORMATS:
        errors["file_format"] = [_("Choose CSV or Excel.")]
    if not isinstance(start, datetime.date) or not isinstance(end, datetime.date):
        errors["start"] = [_("Enter a date.")]
    elif end < start:
        errors["end"] = [_("The end of the period must not come before its start.")]
    elif end - start > PERIOD_MAX:
        errors["start"] = [_("An export covers at most five years.")]
    if team is not None and not teams_serving(community).filter(pk=team.pk).exists():
        errors["team"] = [_("This team does not serve the community.")]
    if errors:
        raise ValidationError(errors)


def export_hours(*, actor, community, start, end, team=None, file_format="csv"):
    """Staff of `community` export its approved hours of a period (optionally of one team
    serving it): (file name, content type, bytes). Audited with the filter and row count."""
    require_signed_in(actor)
    if not perms.may_export(actor, community):
        raise NotAllowed(_("Only the community's staff can export its volunteers' hours."))
    _check(community=community, team=team, start=start, end=end, file_format=file_format)
    with transaction.atomic():
        data = collect(community=community, team=team, start=start, end=end)
        content = csv_bytes(data) if file_format == "csv" else xlsx_bytes(data)
        log(
            instance=community,
            action="linli.certificate.export",
            user=actor,
            data={
                "community": community.pk,
                "team": team.pk if team is not None else None,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "format": file_format,
                "rows": len(data.rows),
                "missing": len(data.missing),
                "hours": str(data.hours),
            },
        )
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = f"volunteer-hours-{community.pk}-{start:%Y%m%d}-{end:%Y%m%d}-{stamp}.{file_format}"
    content_type = spreadsheets.CSV_TYPE if file_format == "csv" else XLSX_TYPE
    return name, content_type, content
