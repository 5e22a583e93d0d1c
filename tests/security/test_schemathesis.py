"""Property-based hostile input against the JSON API, generated from its own OpenAPI schema.

Every operation of /api/v1/openapi.json gets a bounded, reproducible batch of generated requests
(derandomized, so CI sees the same cases every run), anonymous and as a signed-in staff member with
an app session token: no response may be a server error, and every response must match the
schema (status code documented, body valid, content type right).
"""

import datetime
import json

import pytest
import schemathesis
from allauth.account.models import EmailAddress
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks

from activities import services as activity_services
from activities.models import Activity
from tests.teams.conftest import make_task, world  # noqa: F401

MAX_EXAMPLES = 15


# Loaded at collection time (pytest-django has set Django up by then); reading the schema does not
# touch the database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def hostile(world, settings):  # noqa: F811
    """Rate limits off (they would answer 429 to the fuzzer's volume, which is their job), a few
    rows so that small ids hit real objects, and an app session for a staff member."""
    settings.WRITE_RATE_LIMITS = {"user": None, "anonymous": None}
    settings.DELIBERATION_RATE_LIMITS = dict.fromkeys(("proposal", "comment", "vote", "report"))
    make_task(world.yuling, team=world.team, status="claimed")
    make_task(world.yuling)
    starts_at = timezone.now() + datetime.timedelta(days=2)
    for _ in range(2):  # one coming up, one under way (check-in, attendance, close)
        activity = activity_services.create_activity(
            actor=world.staff,
            community=world.yuling,
            kind="service",
            title="公益集市",
            place="社区广场",
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=3),
            quota=2,
        )
    begun = timezone.now() - datetime.timedelta(hours=1)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=begun, ends_at=begun + datetime.timedelta(hours=3)
    )
    EmailAddress.objects.create(  # only a verified address signs in
        user=world.staff, email=world.staff.email, verified=True, primary=True
    )
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"email": "staff@example.com", "password": "pw-123456"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    headers = {"X-Session-Token": response.json()["meta"]["session_token"]}
    me = Client().get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["email"] == "staff@example.com"
    # Schemathesis calls the WSGI app directly, so Django's request signals would close the test's
    # transaction-wrapped connection (on PostgreSQL); Django's own test client detaches them too.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield headers
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Checks that judge the API by rules it does not claim to follow:
# - positive_data_acceptance expects any schema-valid body to be accepted with 2xx; here a valid
#   body is still refused for state reasons (403 not allowed, 404 no such id, 409 wrong state).
# - ignored_auth / missing_required_header: the API documents two auth schemes (session with CSRF,
#   app token); a request without them is refused with 401, which is checked by the matrix test.
EXCLUDED = [
    st_checks.positive_data_acceptance,
]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_survives_generated_requests(case, hostile):
    case.call_and_validate(excluded_checks=EXCLUDED)
    case.call_and_validate(headers=hostile, excluded_checks=EXCLUDED)
