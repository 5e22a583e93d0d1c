"""A refused request (403) is logged as one warning line, method, path, user id and code,
without a traceback; other lines of the request logger are left as they were."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_user, member

pytestmark = pytest.mark.django_db


def request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_page_403_is_one_line_without_traceback(caplog, yuling):
    resident = member(make_user("forbidden@example.com"), yuling)
    client = Client()
    client.force_login(resident)
    path = reverse("communities:requests", args=[yuling.pk])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(path)
    assert response.status_code == 403
    (record,) = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and record.exc_text is None
    assert record.getMessage() == f"Forbidden: GET {path} user={resident.pk} code=forbidden"
    assert "\n" not in caplog.text.strip()


def test_a_403_answer_without_exception_gets_the_same_line(caplog, rf, yuling):
    # What Django's handler logs for a 403 the API answered itself (no exception passed on).
    user = make_user("api-forbidden@example.com")
    request = rf.post("/api/v1/proposals/1/decision")
    request.user = user
    with caplog.at_level(logging.WARNING, logger="django.request"):
        logging.getLogger("django.request").warning(
            "%s: %s", "Forbidden", request.path, extra={"status_code": 403, "request": request}
        )
    (record,) = request_records(caplog)
    assert record.exc_info is None
    assert record.getMessage() == (
        f"Forbidden: POST /api/v1/proposals/1/decision user={user.pk} code=forbidden"
    )


def test_a_404_line_is_untouched(caplog, db):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        Client().get("/no-such-page-here/")
    messages = [r.getMessage() for r in request_records(caplog)]
    assert messages == ["Not Found: /no-such-page-here/"]
