"""The attendance list exported as CSV (UTF-8 with a BOM) and XLSX, read back."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities import exports, services
from tests.factories import make_user, member
from tests.teams.conftest import client_for

from .conftest import make_activity, started

pytestmark = pytest.mark.django_db

HEADERS = [
    "Name",
    "Phone",
    "Sign-up status",
    "Checked in",
    "Checked out",
    "Method",
    "Hours",
    "Record status",
]


@pytest.fixture
def filled(world):
    """Quota 2: 王奶奶 checked in and out from the sheet (1.5 h), 李爷爷 checked in by the
    organiser and still there, and "=1+1" (a name that looks like a formula) waiting."""
    activity = make_activity(world, quota=2)
    wang = member(
        make_user("wang@example.com", display_name="王奶奶", phone="+8613800001234"), world.yuling
    )
    li = member(make_user("li@example.com", display_name="李爷爷"), world.yuling)
    tricky = member(make_user("x@example.com", display_name="=1+1"), world.yuling)
    for person in (wang, li, tricky):
        services.sign_up(actor=person, activity=activity)
    started(activity, ago=datetime.timedelta(hours=3))
    services.record_sheet(
        actor=world.staff,
        activity=activity,
        person=wang,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.starts_at + datetime.timedelta(minutes=90),
    )
    services.check_in(actor=world.leader, activity=activity, person=li)
    return activity, wang, li


def _get(client, activity, fmt):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(reverse("activities:export", args=[activity.pk]), {"format": fmt})


def test_csv(world, filled):
    activity, wang, li = filled
    response = _get(client_for(world.leader), activity, "csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"activity-{activity.pk}-attendance.csv" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"王奶奶", "李爷爷", "'=1+1"}
    wang_row = by_name["王奶奶"]
    assert wang_row[1] == "*******1234" and "13800" not in body.decode("utf-8-sig")
    assert wang_row[2] == "Confirmed"
    assert wang_row[3] == timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M")
    assert wang_row[5] == "From the paper sign-in sheet"
    assert wang_row[6] == "1.50" and wang_row[7] == "Pending"
    li_row = by_name["李爷爷"]
    assert li_row[4] == "" and li_row[5] == "Checked by the organiser" and li_row[6] == ""
    assert by_name["'=1+1"][2] == "On the waiting list" and by_name["'=1+1"][3] == ""


def test_xlsx(world, filled):
    activity, wang, li = filled
    response = _get(client_for(world.staff), activity, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert len(rows) == 4
    by_name = {row[0]: row for row in rows[1:]}
    wang_row = by_name["王奶奶"]
    assert wang_row[1] == "*******1234"
    expected = timezone.localtime(activity.starts_at).replace(tzinfo=None, microsecond=0)
    assert wang_row[3] == expected
    assert wang_row[4] == expected + datetime.timedelta(minutes=90)
    assert Decimal(str(wang_row[6])) == Decimal("1.5") and wang_row[7] == "Pending"
    assert by_name["李爷爷"][4] is None
    # A name that looks like a formula stays text.
    cell = next(c for c in sheet["A"] if c.value == "=1+1")
    assert cell.data_type == "s"


@pytest.mark.parametrize("role", ["resident", "other_leader", "volunteer"])
def test_only_organisers_export(world, filled, role):
    activity, _wang, _li = filled
    for fmt in ("csv", "xlsx"):
        assert _get(client_for(getattr(world, role)), activity, fmt).status_code == 403
    assert _get(client_for(None), activity, "csv").status_code == 302


def test_mask_phone():
    assert exports.mask_phone("+8613800001234") == "*******1234"
    assert exports.mask_phone("+447700900123") == "********0123"
    assert exports.mask_phone("") == "" and exports.mask_phone(None) == ""
    assert exports.mask_phone("123") == "***"
