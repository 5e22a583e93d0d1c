"""No input gives a 500: a control character (NUL, ESC, ...) in any text field, query parameter or
path is refused with a 400 (API: JSON {"detail", "code", "errors"} naming the field; pages: a form
error), before it reaches a service or the database (where NUL makes PostgreSQL fail the query).

Walks every operation of the JSON API's own OpenAPI schema and every form of the pages as they
are rendered, so a field added later is tried without touching this file. Run it on PostgreSQL
too (DATABASE_URL): that is where NUL used to give 500.
"""

import datetime
import itertools
import json
import re
import uuid
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation

from communities import services as community_services
from core.api import SessionTokenStrategy
from core.inputs import MESSAGE, has_control_characters
from deliberation import services as council_services
from deliberation.models import Comment
from teams import services as team_services
from teams.models import TeamMembership
from tests.deliberation.conftest import (  # noqa: F401
    client_for,
    make_proposal,
    make_user,
    member,
    world,
)
from tests.teams.conftest import make_task

NUL, ESC = "\x00", "\x1b"
CONTROLS = [NUL, ESC, "\x85", "\x7f", "\x0b"]
LINLI_APPS = (
    "accounts",
    "communities",
    "teams",
    "deliberation",
    "live",
    "activities",
    "certificates",
)


def test_the_rule():
    for char in ("\x00", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x9f"):
        assert has_control_characters(f"a{char}b"), repr(char)
    for text in ("a\tb", "a\nb", "a\r\nb", "垃圾分类 ✓", "\xa0", "emoji 🙂", ""):
        assert not has_control_characters(text), repr(text)


def stored_with(char: str) -> list[str]:
    """Every text column of Linli's models that holds `char` (ESC: PostgreSQL can search it)."""
    found = []
    for app in LINLI_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, models.CharField | models.TextField):
                    rows = model.objects.filter(**{f"{field.name}__contains": char})
                    if rows.exists():
                        found.append(f"{model.__name__}.{field.name}")
    return found


@pytest.fixture
def busy_world(world, settings):  # noqa: F811
    """One object of every kind an API path or a page form names."""
    settings.WRITE_RATE_LIMITS = {"user": None, "anonymous": None}
    settings.DELIBERATION_RATE_LIMITS = dict.fromkeys(("proposal", "comment", "vote", "report"))
    w = world
    w.volunteer = member(make_user("volunteer@example.com", display_name="志愿者"), w.yuling)
    TeamMembership.objects.create(team=w.team, user=w.volunteer, role="member", status="active")
    w.open_task = make_task(w.yuling)
    w.task = make_task(w.yuling, team=w.team, status="claimed")
    w.proposal = make_proposal(w, status="discussion")
    w.draft = make_proposal(w, status="draft", title="草稿")
    w.submitted = make_proposal(w, status="submitted", title="待审")
    w.voting = make_proposal(w, status="voting", title="投票中")
    w.comment = Comment.objects.create(proposal=w.proposal, author=w.resident2, body="同意")
    w.newcomer = make_user("newcomer@example.com", display_name="新人")
    w.membership = community_services.request_membership(user=w.newcomer, community=w.yuling)
    w.need = team_services.file_need(
        actor=w.resident, community=w.yuling, category="repairs", description="水管漏水"
    )
    w.record = team_services.log_hours(
        actor=w.volunteer, task=w.task, hours=2, date=timezone.localdate()
    )
    w.team_membership = team_services.request_team_membership(actor=w.resident2, team=w.team)
    w.meeting = council_services.schedule_meeting(
        actor=w.staff,
        council=w.council,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        place="社区活动室",
        agenda=[w.proposal],
    )
    from activities import services as activity_services

    starts_at = timezone.now() + datetime.timedelta(days=2)
    w.activity = activity_services.create_activity(
        actor=w.staff,
        community=w.yuling,
        kind="service",
        title="公益集市",
        place="社区广场",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
    )
    from certificates.models import Certificate

    w.certificate = Certificate.objects.create(
        holder=w.volunteer,
        community=w.yuling,
        period_start=timezone.localdate() - datetime.timedelta(days=30),
        period_end=timezone.localdate(),
    )
    return w


# --- the JSON API, operation by operation --------------------------------------------------


def path_ids(w, path: str) -> dict:
    membership = w.team_membership if "/team-memberships/" in path else w.membership
    proposal = w.draft if path.endswith("/proposals/{proposal_id}") else w.proposal
    return {
        "community_id": w.yuling.pk,
        "membership_id": membership.pk,
        "task_id": w.task.pk,
        "record_id": w.record.pk,
        "team_id": w.team.pk,
        "need_id": w.need.pk,
        "proposal_id": proposal.pk,
        "photo_id": 1,
        "comment_id": w.comment.pk,
        "meeting_id": w.meeting.pk,
        "activity_id": w.activity.pk,
        "person_id": w.resident.pk,
        "certificate_id": w.certificate.pk,
        "number": "LL2026-AAAA-AAAA",
    }


def resolve(schema: dict, components: dict) -> dict:
    if "$ref" in schema:
        return resolve(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [resolve(s, components) for s in schema[key]]
            return next((s for s in options if s.get("type") != "null"), options[0])
    return schema


def sample(name: str, schema: dict, w):
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "string":
        return {
            "date": timezone.localdate().isoformat(),
            "date-time": (timezone.now() + datetime.timedelta(days=3)).isoformat(),
            "uuid": str(uuid.uuid4()),
        }.get(schema.get("format"), "测试")
    if kind == "integer":
        return w.team.pk
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return None


def string_fields(properties: dict, components: dict) -> list[tuple[str, bool]]:
    """(name, is a list of strings) of every text field of a body."""
    fields = []
    for name, prop in properties.items():
        prop = resolve(prop, components)
        if prop.get("type") == "string" and prop.get("format") != "binary":  # not uploads
            fields.append((name, False))
        elif (
            prop.get("type") == "array"
            and resolve(prop.get("items", {}), components).get("type") == "string"
        ):
            fields.append((name, True))
    return fields


def operations(schema: dict):
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if isinstance(op, dict) and "responses" in op:
                yield path, method, op


def call(client, method: str, url: str, body=None, content_type="application/json"):
    if body is None:
        return client.generic(method.upper(), url)
    if content_type == "multipart/form-data":
        return client.post(url, body)
    return client.generic(method.upper(), url, json.dumps(body), content_type=content_type)


def test_every_api_text_field_refuses_control_characters(busy_world):
    w = busy_world
    schema = client_for(None).get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    actors = [client_for(u) for u in (w.staff, w.leader, w.resident, w.volunteer, w.superuser)]
    tried = 0
    for path, method, op in operations(schema):
        content = op.get("requestBody", {}).get("content", {})
        for content_type in ("application/json", "multipart/form-data"):
            if content_type not in content:
                continue
            body_schema = resolve(content[content_type]["schema"], components)
            properties = body_schema.get("properties", {})
            required = set(body_schema.get("required", []))
            base = {
                name: sample(name, resolve(properties[name], components), w) for name in required
            }
            url = "/api" + path.format(**path_ids(w, path)).removeprefix("/api")
            for field, is_list in string_fields(properties, components):
                for char in (NUL, ESC):
                    value = f"街{char}道"
                    body = {**base, field: [value] if is_list else value}
                    if content_type == "multipart/form-data" and is_list:
                        body[field] = value
                    statuses = []
                    for client in actors:
                        response = call(client, method, url, body, content_type)
                        statuses.append(response.status_code)
                        where = (method, path, content_type, field, repr(char))
                        assert response.status_code in (400, 401, 403, 404), (
                            where,
                            response.status_code,
                            response.content[:300],
                        )
                        if response.status_code == 400:
                            reply = response.json()
                            assert reply["code"] and reply["detail"], where
                            if any(k.split(".")[0] == field for k in reply.get("errors", {})):
                                break
                    else:
                        pytest.fail(f"nobody reached the validation of {where}: {statuses}")
                    tried += 1
    assert tried > 40  # every operation with a text body was walked
    assert stored_with(ESC) == []


def test_every_api_query_parameter_and_path_refuses_control_characters(busy_world):
    w = busy_world
    schema = client_for(None).get("/api/v1/openapi.json").json()
    staff = client_for(w.staff)
    tried = 0
    for path, method, op in operations(schema):
        url = "/api" + path.format(**path_ids(w, path)).removeprefix("/api")
        for param in op.get("parameters", []):
            if param["in"] != "query":
                continue
            for char in (NUL, ESC):
                response = call(staff, method, f"{url}?{urlencode({param['name']: 'a' + char})}")
                assert response.status_code == 400, (method, path, param["name"], response.content)
                reply = response.json()
                assert reply["code"] == "invalid" and reply["detail"]
                assert param["name"] in reply["errors"]
                tried += 1
    assert tried >= 20
    for char in (NUL, ESC):
        response = staff.get("/api/v1/communities/" + quote(f"1{char}"))
        assert response.status_code in (400, 404)
        response = staff.get("/api/v1/me", headers={"X-Session-Token": f"abcdefgh{char}ij"})
        assert response.status_code == 400, response.content


@pytest.mark.parametrize("char", [NUL, ESC])
def test_searches_and_filters_refuse_control_characters(busy_world, char):
    w = busy_world
    anonymous, staff = client_for(None), client_for(w.staff)
    value = f"垃圾{char}"
    for url, params in [
        ("/api/v2/pages/", {"search": value}),
        ("/api/v2/pages/", {"type": f"brands.BrandPage{char}"}),
        ("/api/v2/pages/", {"fields": value}),
        ("/api/v2/pages/", {"slug": value}),
        ("/api/v2/images/", {"search": value}),
        ("/api/v2/documents/", {"search": value}),
    ]:
        response = anonymous.get(url, params)
        assert response.status_code == 400, (url, params, response.content)
        assert response.json()["code"] == "invalid"
        assert list(response.json()["errors"]) == [next(iter(params))]
    for client, url in [
        (anonymous, reverse("brands:search")),
        (anonymous, reverse("deliberation:council", args=[w.yuling.pk])),
        (staff, reverse("teams:dispatch")),
        (staff, reverse("teams:team_list")),
        (staff, reverse("communities:list")),
        (staff, "/admin/communities/"),
        (staff, "/admin/"),
    ]:
        response = client.get(url, {"q": value, "status": value, "page": value})
        assert response.status_code == 400, url
        assert "text/html" in response["Content-Type"]
    # A path with a control character is refused before Wagtail looks for a page by slug.
    assert anonymous.get("/" + quote(f"news{char}") + "/").status_code == 400


@pytest.mark.parametrize("char", [NUL, ESC])
def test_allauth_refuses_control_characters(busy_world, char):
    """allauth's own forms (pages and the headless app API) are refused at the request."""
    anonymous = client_for(None)
    value = f"resident{char}@example.com"
    for url, data in [
        ("/accounts/login/", {"login": value, "password": "pw-123456"}),
        ("/accounts/signup/", {"email": value, "password1": "x", "password2": "x"}),
        ("/accounts/password/reset/", {"email": value}),
        ("/accounts/login/code/", {"email": value}),
    ]:
        response = anonymous.post(url, data)
        assert response.status_code == 400, (url, response.status_code)
    for url, data in [
        ("/_allauth/app/v1/auth/login", {"email": value, "password": "pw-123456"}),
        ("/_allauth/app/v1/auth/signup", {"email": value, "password": "pw-123456"}),
        ("/_allauth/browser/v1/auth/password/request", {"email": value}),
    ]:
        response = anonymous.post(url, json.dumps(data), content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        assert response.json()["errors"] == {"email": [str(MESSAGE)]}


@pytest.mark.parametrize("char", [NUL, ESC])
def test_session_keys_with_control_characters_are_refused(busy_world, char):
    """Both are looked up in the database as they come (NUL: a 500 on PostgreSQL)."""
    client = client_for(None)
    client.cookies["sessionid"] = f"abcdefgh{char}ij"
    assert client.get(reverse("accounts:profile")).status_code == 400
    assert SessionTokenStrategy().lookup_session(f"abcdefgh{char}ij") is None  # WebSocket auth


# --- the pages: every form as rendered -----------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: method, action and fields (name -> [kind, value]) as a browser
    would send them untouched (unchecked boxes and radios left out)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form, self.select, self.textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self.form = {"method": method, "action": a.get("action"), "fields": {}, "submits": []}
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "option" and self.select:
            field = self.form["fields"][self.select]
            if field[1] is None or "selected" in a:
                field[1] = a.get("value", "")
        elif not a.get("name"):
            return
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            self.form["submits"].append({a["name"]: a.get("value", "")})
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "submit":
                self.form["submits"].append({a["name"]: a.get("value", "")})
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.form["fields"][a["name"]] = [kind, a.get("value", "on")]
                return
            self.form["fields"][a["name"]] = [kind, a.get("value", "")]
        elif tag == "textarea":
            self.textarea = a["name"]
            self.form["fields"][a["name"]] = ["textarea", ""]
        elif tag == "select":
            self.select = a["name"]
            self.form["fields"][a["name"]] = ["select", None]

    def handle_data(self, data):
        if self.textarea and self.form:
            self.form["fields"][self.textarea][1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def page_forms(html: str):
    parser = Forms()
    parser.feed(html)
    return parser.forms


TEXT_KINDS = ("text", "textarea", "search", "email", "tel", "url", "hidden", "password")


def filled(fields: dict) -> dict:
    data = {}
    for name, (kind, value) in fields.items():
        if value is None:
            continue
        if kind in ("text", "textarea") and not value:
            value = "测试"
        data[name] = value
    return data


def pages(w):
    return [
        (w.resident, reverse("deliberation:proposal_create", args=[w.yuling.pk])),
        (w.resident, reverse("deliberation:proposal_detail", args=[w.proposal.pk])),
        (w.resident, reverse("deliberation:proposal_edit", args=[w.draft.pk])),
        (w.resident, reverse("deliberation:proposal_detail", args=[w.voting.pk])),
        (w.staff, reverse("deliberation:proposal_detail", args=[w.proposal.pk])),
        (w.staff, reverse("deliberation:proposal_detail", args=[w.submitted.pk])),
        (w.staff, reverse("deliberation:proposal_detail", args=[w.voting.pk])),
        (w.staff, reverse("deliberation:proposal_create", args=[w.yuling.pk])),
        (w.staff, reverse("deliberation:meeting_create", args=[w.yuling.pk])),
        (w.staff, reverse("deliberation:meeting_detail", args=[w.meeting.pk])),
        (w.resident, reverse("teams:my_needs")),
        (w.resident2, reverse("teams:team_detail", args=[w.team.pk])),
        (w.leader, reverse("teams:task_detail", args=[w.task.pk])),
        (w.volunteer, reverse("teams:task_detail", args=[w.task.pk])),
        (w.leader, reverse("teams:task_detail", args=[w.open_task.pk])),
        (w.leader, reverse("teams:team_board", args=[w.team.pk])),
        (w.leader, reverse("teams:team_hours", args=[w.team.pk])),
        (w.staff, reverse("teams:dispatch")),
        (w.staff, reverse("teams:task_detail", args=[w.task.pk])),
        (w.staff, reverse("teams:task_detail", args=[w.open_task.pk])),
        (w.newcomer, reverse("communities:detail", args=[w.other.pk])),
        (w.staff, reverse("communities:requests", args=[w.yuling.pk])),
        (w.resident, reverse("accounts:profile")),
        # Linli's admin forms (Wagtail admin views of the apps).
        (w.superuser, "/admin/membership/new/"),
        (w.superuser, "/admin/teams_task/new/"),
        (w.superuser, f"/admin/teams_task/status/{w.task.pk}/"),
        (w.superuser, f"/admin/teams_need/edit/{w.need.pk}/"),
        (w.superuser, f"/admin/teams_hours/edit/{w.record.pk}/"),
        (w.superuser, f"/admin/council_proposal/edit/{w.submitted.pk}/"),
        (w.superuser, f"/admin/council_moderation/proposal/{w.proposal.pk}/"),
        (w.superuser, f"/admin/council_moderation/comment/{w.comment.pk}/"),
        (w.superuser, "/admin/council_meeting/new/"),
        (w.superuser, f"/admin/council_meeting/edit/{w.meeting.pk}/"),
        (w.superuser, "/admin/council_rules/new/"),
        (w.superuser, f"/admin/council_rules/edit/{w.council.pk}/"),
    ]


def bound_field(response, name):
    """(form field, its errors) of `name` in the forms the page rendered, else (None, None)."""
    for context in response.context or []:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound and name in value.fields:
                return value.fields[name], value.errors.get(name, [])
    return None, None


def assert_refused(response, name, where):
    """The page says why: the shared message on a text field, the field's own error on a
    date or a choice, or the message among the page's notices (views that redirect)."""
    field, errors = bound_field(response, name)
    if field is None or isinstance(field, forms.CharField):
        with translation.override(response.get("Content-Language", "zh-hans")):
            assert str(MESSAGE) in (errors or response.content.decode()), where
    else:
        assert errors, where


def test_every_page_form_refuses_control_characters(busy_world):
    w = busy_world
    tried, seen = 0, set()
    for user, url in pages(w):
        client = client_for(user)
        response = client.get(url)
        assert response.status_code == 200, url
        for form in page_forms(response.content.decode()):
            if form["method"] != "post":
                continue
            action = form["action"] or url
            if action.startswith(("/accounts/logout", "/i18n/", "/admin/logout")):
                continue
            base = filled(form["fields"])
            for name, (kind, _value) in form["fields"].items():
                if kind not in TEXT_KINDS or name == "csrfmiddlewaretoken":
                    continue
                if (action, name) in seen:
                    continue
                seen.add((action, name))
                for char, submit in itertools.product((NUL, ESC), form["submits"] or [{}]):
                    data = {**base, **submit, name: f"街{char}道"}
                    response = client.post(action, data, follow=True)
                    where = (url, action, name, submit, repr(char))
                    # A hidden id that no browser changes may also be "no such comment".
                    allowed = (200, 400, 404) if kind == "hidden" else (200, 400)
                    assert response.status_code in allowed, (where, response.status_code)
                    if kind != "hidden":
                        assert_refused(response, name, where)
                    tried += 1
    assert tried >= 40, tried
    assert stored_with(ESC) == []


def test_form_errors_name_the_field(busy_world):
    client = client_for(busy_world.resident)
    url = reverse("deliberation:proposal_create", args=[busy_world.yuling.pk])
    response = client.post(url, {"title": "a\x00b", "body": "正文", "category": "other"})
    assert response.status_code in (200, 400)
    form = response.context["form"]
    assert form.errors["title"] == [str(MESSAGE)]
    assert list(form.errors) == ["title"]


def test_text_with_tabs_and_newlines_is_kept(busy_world):
    client = client_for(busy_world.resident)
    response = client.post(
        f"/api/v1/communities/{busy_world.yuling.pk}/proposals",
        json.dumps({"title": "东门\t垃圾", "body": "第一行\r\n第二行\n", "category": "other"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["body"] == "第一行\r\n第二行"
    assert re.search("东门\t垃圾", response.json()["title"])
