"""The export of approved hours for the national system, read back: the CSV with the csv
module, the XLSX with openpyxl. Headings, rows, full document numbers in the file (and an
audit entry for it), volunteers without real-name details listed apart, scoping to the
community (and team), and only its staff."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from certificates import exports
from certificates.idnumbers import mask
from core.errors import NotAllowed
from teams import ledger
from teams.models import ServiceRecord, TeamMembership
from tests.factories import make_task, make_user, member
from tests.teams.conftest import client_for

from .conftest import profile_for, resident_id

URL = "/records/staff/export/"
TODAY = timezone.localdate()
HEADINGS = [
    "姓名",
    "证件类型",
    "证件号码",
    "志愿者编号",
    "活动名称",
    "服务日期",
    "服务时长（小时）",
]


def day(ago):
    return TODAY - datetime.timedelta(days=ago)


def record(w, volunteer, *, hours, ago, community=None, task=None, team=None, **fields):
    fields.setdefault("status", "approved")
    if fields["status"] != "pending":
        fields.setdefault("reviewer", w.staff)
    if task is None:
        fields.setdefault("source", "attendance")
        fields.setdefault("title", "公益集市")
    else:
        fields.setdefault("source", "leader")
    return ServiceRecord.objects.create(
        volunteer=volunteer,
        community=community or w.yuling,
        task=task,
        team=team,
        date=day(ago),
        hours=hours,
        **fields,
    )


@pytest.fixture
def hours(served):
    """The served world (the volunteer, 张秀兰: 3 + 2 approved hours on 清理3栋楼道) plus:
    a volunteer without real-name details; a confidential task; an activity's hours without a
    team; pending, declined and too old hours; hours in the neighbouring community; a title
    that a spreadsheet would run as a formula."""
    w = served
    w.nameless = member(make_user("nameless@example.com", display_name="小李"), w.yuling)
    TeamMembership.objects.create(team=w.team, user=w.nameless, role="member", status="active")
    secret = make_task(w.yuling, team=w.team, status="done", sensitive=True, title="王奶奶家庭纠纷")
    record(w, w.volunteer, hours=Decimal("1.5"), ago=3, task=secret, team=w.team)
    record(w, w.volunteer, hours=2, ago=2, title="社区治理学院 扬帆计划 公益集市")
    record(w, w.nameless, hours=4, ago=4, task=w.records[0].task, team=w.team)
    record(w, w.nameless, hours=1, ago=1, title='=HYPERLINK("http://x")')
    record(w, w.volunteer, hours=6, ago=1, status="pending", title="待审核")
    record(w, w.volunteer, hours=7, ago=1, status="declined", title="已退回")
    record(w, w.volunteer, hours=8, ago=400, title="很久以前")
    record(w, w.volunteer, hours=9, ago=2, community=w.other, title="白云社区清扫")
    return w


def download(client, **fields):
    body = {
        "community": fields.pop("community"),
        "start": day(60).isoformat(),
        "end": TODAY.isoformat(),
        "file_format": "csv",
        **fields,
    }
    return client.post(URL, {k: v for k, v in body.items() if v is not None})


def read_csv(response):
    content = response.content
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_has_the_national_columns_full_numbers_and_the_missing_apart(hours):
    w = hours
    response = download(client_for(w.staff), community=w.yuling.pk)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="volunteer-hours-')
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    assert rows[0] == HEADINGS
    person = ["张秀兰", "居民身份证", resident_id(), "42010012345678"]
    assert rows[1:5] == [
        [*person, "清理3栋楼道", day(10).isoformat(), "3"],
        [*person, "清理3栋楼道", day(5).isoformat(), "2"],
        [*person, "社区服务（保密）", day(3).isoformat(), "1.5"],
        [*person, "社区治理学院 扬帆计划 公益集市", day(2).isoformat(), "2"],
    ]
    assert rows[5:] == [
        [],
        ["缺少实名信息"],
        ["平台用户", "服务记录数", "服务时长（小时）"],
        ["小李", "2", "5"],
    ]
    text = response.content.decode("utf-8-sig")
    assert mask(resident_id()) not in text
    for absent in ("王奶奶", "待审核", "已退回", "很久以前", "白云社区清扫", "HYPERLINK"):
        assert absent not in text
    # The export's total is the ledger's, for those with real-name details.
    total = sum(Decimal(row[6]) for row in rows[1:5])
    assert total == ledger.approved_hours(
        volunteer=w.volunteer, community=w.yuling, start=day(60), end=TODAY
    )


def test_xlsx_reads_back_with_text_numbers_and_a_sheet_for_the_missing(hours):
    w = hours
    response = download(client_for(w.staff), community=w.yuling.pk, file_format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["志愿服务时长", "缺少实名信息"]
    rows = [list(row) for row in workbook["志愿服务时长"].iter_rows(values_only=True)]
    assert rows[0] == HEADINGS
    assert len(rows) == 5
    assert all(row[2] == resident_id() and isinstance(row[2], str) for row in rows[1:])
    assert [row[4] for row in rows[1:]] == [
        "清理3栋楼道",
        "清理3栋楼道",
        "社区服务（保密）",
        "社区治理学院 扬帆计划 公益集市",
    ]
    assert [row[5] for row in rows[1:]] == [day(a).isoformat() for a in (10, 5, 3, 2)]
    assert [row[6] for row in rows[1:]] == [3, 2, 1.5, 2]
    missing = [list(row) for row in workbook["缺少实名信息"].iter_rows(values_only=True)]
    assert missing == [["平台用户", "服务记录数", "服务时长（小时）"], ["小李", 2, 5]]


def test_formulas_stay_text(hours):
    """A title like =HYPERLINK(...) never becomes a formula (CSV injection)."""
    w = hours
    profile_for(w.nameless, name="李明")
    rows = read_csv(download(client_for(w.staff), community=w.yuling.pk))
    assert '\'=HYPERLINK("http://x")' in [row[4] for row in rows if len(row) > 4]
    response = download(client_for(w.staff), community=w.yuling.pk, file_format="xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["志愿服务时长"]
    cells = [cell for row in sheet.iter_rows() for cell in row if "HYPERLINK" in str(cell.value)]
    assert len(cells) == 1 and cells[0].data_type == "s"
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["志愿服务时长"]


def test_a_team_filter_and_another_community_never_mixes_in(hours):
    w = hours
    rows = read_csv(download(client_for(w.staff), community=w.yuling.pk, team=w.team.pk))
    assert [row[4] for row in rows[1:4]] == ["清理3栋楼道", "清理3栋楼道", "社区服务（保密）"]
    assert rows[4:] == [
        [],
        ["缺少实名信息"],
        ["平台用户", "服务记录数", "服务时长（小时）"],
        ["小李", "1", "4"],
    ]
    # The neighbouring community's staff export their own hours, and only those.
    rows = read_csv(download(client_for(w.other_staff), community=w.other.pk))
    assert rows[1:] == [
        [
            "张秀兰",
            "居民身份证",
            resident_id(),
            "42010012345678",
            "白云社区清扫",
            day(2).isoformat(),
            "9",
        ]
    ]
    # ... and cannot choose 玉岭社区.
    refused = download(client_for(w.other_staff), community=w.yuling.pk)
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("text/html")
    # The street's staff export both communities' hours.
    rows = read_csv(download(client_for(w.street_staff), community=w.street.pk))
    assert "白云社区清扫" in {row[4] for row in rows if len(row) > 4}


def test_a_team_that_does_not_serve_the_community_is_refused(hours):
    w = hours
    from tests.teams.conftest import make_team

    elsewhere = make_team("白云社区服务队", community=w.other, leader=w.outsider)
    before = ModelLogEntry.objects.filter(action="linli.certificate.export").count()
    response = download(client_for(w.staff), community=w.yuling.pk, team=elsewhere.pk)
    assert response.status_code == 400
    with pytest.raises(Exception) as refused:
        exports.export_hours(
            actor=w.staff, community=w.yuling, team=elsewhere, start=day(60), end=TODAY
        )
    assert "team" in refused.value.message_dict
    assert ModelLogEntry.objects.filter(action="linli.certificate.export").count() == before


def test_every_export_is_audited_with_its_filter_and_row_count(hours):
    w = hours
    download(client_for(w.staff), community=w.yuling.pk, team=w.team.pk, file_format="xlsx")
    entry = ModelLogEntry.objects.get(action="linli.certificate.export")
    assert entry.user_id == w.staff.pk
    assert entry.data == {
        "community": w.yuling.pk,
        "team": w.team.pk,
        "start": day(60).isoformat(),
        "end": TODAY.isoformat(),
        "format": "xlsx",
        "rows": 3,
        "missing": 1,
        "hours": "6.50",
    }


@pytest.mark.parametrize("role", ["resident", "volunteer", "leader", "outsider"])
def test_only_staff_may_export(hours, role):
    w = hours
    client = client_for(getattr(w, role))
    assert client.get(URL).status_code == 403
    assert download(client, community=w.yuling.pk).status_code == 403
    with pytest.raises(NotAllowed):
        exports.export_hours(actor=getattr(w, role), community=w.yuling, start=day(9), end=TODAY)
    assert not ModelLogEntry.objects.filter(action="linli.certificate.export").exists()


def test_anonymous_visitors_are_sent_to_sign_in(hours):
    response = download(client_for(None), community=hours.yuling.pk)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"start": TODAY.isoformat(), "end": day(5).isoformat()}, "end"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": day(366 * 6).isoformat()}, "start"),
        ({"file_format": "pdf"}, "file_format"),
        ({"team": 2**70}, "team"),
    ],
)
def test_bad_input_is_a_form_error(hours, fields, field):
    response = download(client_for(hours.staff), community=hours.yuling.pk, **fields)
    assert response.status_code == 400
    assert field in response.context["form"].errors


def test_the_page_in_english_and_the_cost_of_an_export(hours, django_assert_max_num_queries):
    client = client_for(hours.staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Export hours for the national system" in text
    assert 'value="xlsx"' in text and "Download CSV" in text
    assert hours.team.name in text
    # Does not grow with the rows: more volunteers and records cost no more queries.
    with django_assert_max_num_queries(20) as captured:
        download(client, community=hours.yuling.pk)
    few = len(captured.captured_queries)
    for i in range(5):
        person = member(make_user(f"x{i}@example.com"), hours.yuling)
        profile_for(person, name="赵六")
        record(hours, person, hours=1, ago=2)
    with django_assert_max_num_queries(few) as captured:
        rows = read_csv(download(client, community=hours.yuling.pk))
    assert len([row for row in rows if row[:1] == ["赵六"]]) == 5
