"""Every admin view is scoped (issue #22, point 5).

The admin URLs are discovered, not listed: every URL under /admin/ that takes an argument is
either a view of a Linli viewset, which must apply its policy's scope
(core.admin_scope, through communities.policies.CommunityScopedViewSetMixin) and have an
object of another community in TARGETS below, or one of Wagtail's own views. A new viewset,
or a new view of a viewset, is therefore covered automatically, and one that is not scoped or
has no target fails here.

Requests carry X-Requested-With so that a refusal is a 403 and not Wagtail's redirect to the
dashboard: a 302 can then never pass for a refusal.
"""

import datetime
import io
import zipfile
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.log_actions import log

from activities.models import Activity, Attendance, Signup
from certificates.models import Certificate, VolunteerProfile
from communities.models import Community, Membership
from communities.services import sync_staff_access
from core.admin_scope import ScopedObjectMixin
from deliberation.models import Comment, Council, Meeting, Proposal
from live.models import Event
from teams.models import Need, ServiceRecord, Skill, Task, Team
from tests import factories
from tests.factories import (
    CouncilFactory,
    ProposalFactory,
    TaskFactory,
    TeamFactory,
    UserFactory,
    english_skills,
    make_user,
)

pytestmark = pytest.mark.django_db

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
REFUSED = {403, 404}

SECRET_TASK = "SECRET-TASK 受暴者转移安置"
SECRET_NEED = "SECRET-NEED 新住址在3栋"
SECRET_PROPOSAL = "SECRET-PROPOSAL 隐藏的提案"
SECRET_MEETING = "SECRET-MEETING 闭门会议"
SECRET_ACTIVITY = "SECRET-ACTIVITY 白云社区内部培训"
SECRET_CERTIFICATE = "SECRET-CERTIFICATE 出国留学申请"
SECRETS = (
    SECRET_TASK,
    SECRET_NEED,
    SECRET_PROPOSAL,
    SECRET_MEETING,
    SECRET_ACTIVITY,
    SECRET_CERTIFICATE,
)
# The real name of 白云社区's resident on a certificate request, and how the admin masks it.
REAL_NAME, MASKED_REAL_NAME = "白云秘名", "白**名"

# What each Linli viewset is tested with: the object of 白云社区 (an attribute of the world)
# and who, besides superusers, may reach it: the staff of the street above 白云社区. The
# viewsets that only superusers use say "superuser". Keyed by URL namespace, or by the full
# URL name where one viewset serves several models.
TARGETS = {
    "community": ("community", "superuser"),
    "community_chooser": ("community", "superuser"),
    "membership": ("membership", "street_staff"),
    "live_events": ("event", "superuser"),
    "teams_task": ("task", "street_staff"),
    "teams_need": ("need", "street_staff"),
    "teams_hours": ("record", "street_staff"),
    "teams_team": ("team", "street_staff"),
    "teams_skill": ("skill", "superuser"),
    "council_proposal": ("proposal", "street_staff"),
    "council_moderation:proposal": ("proposal", "street_staff"),
    "council_moderation:comment": ("comment", "street_staff"),
    "council_meeting": ("meeting", "street_staff"),
    "council_rules": ("council", "street_staff"),
    "activities_activity": ("activity", "street_staff"),
    "certificates_certificate": ("certificate", "street_staff"),
    "wagtailusers_users": ("resident", "superuser"),
}

ROLES = ["other_staff", "street_staff", "resident", "leader", "editor", "superuser"]

# Linli's own code: no admin URL outside the scoped viewsets may route to it.
LINLI_APPS = {
    "accounts",
    "activities",
    "brands",
    "certificates",
    "communities",
    "config",
    "core",
    "deliberation",
    "live",
    "teams",
}


def member(user, community, role="resident"):
    """factories.member, and a staff member's admin access synced as the admin does."""
    factories.member(user, community, role)
    if role == "staff":
        sync_staff_access(user)
        user.refresh_from_db()
    return user


@pytest.fixture
def world(district, street, yuling, baiyun):
    w = SimpleNamespace(community=baiyun, yuling=yuling, street=street)

    w.other_staff = member(make_user("other-staff@example.com"), yuling, role="staff")
    w.street_staff = member(make_user("street-staff@example.com"), street, role="staff")
    w.resident = member(make_user("resident@example.com", display_name="白云居民"), baiyun)
    w.leader = member(make_user("leader@example.com", display_name="队长"), baiyun)
    w.neighbour = member(make_user("neighbour@example.com", display_name="玉岭居民"), yuling)
    w.editor = make_user("editor@example.com")
    editors, _created = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(Permission.objects.get(codename="access_admin"))
    w.editor.groups.add(editors)
    w.superuser = UserFactory(email="root@example.com", superuser=True, email_verified=None)

    (w.skill,) = english_skills("sanitation")
    w.team = TeamFactory(name="白云互助队", communities=[baiyun], skills=[w.skill], leader=w.leader)
    w.membership = Membership.objects.get(user=w.resident)

    w.task = TaskFactory(
        community=baiyun,
        title=SECRET_TASK,
        sensitive=True,
        team=w.team,
        status="claimed",
        required_skills=[w.skill],
    )
    w.need = Need.objects.create(
        community=baiyun,
        requester=w.resident,
        category="repairs",
        description=SECRET_NEED,
        private=True,
    )
    w.record = ServiceRecord.objects.create(
        volunteer=w.leader,
        task=w.task,
        team=w.team,
        date=datetime.date.today(),
        hours=2,
        source="self",
    )
    w.council = CouncilFactory(community=baiyun)
    now = timezone.now()
    w.proposal = ProposalFactory(
        council=w.council,
        author=w.resident,
        title=SECRET_PROPOSAL,
        body="……",
        category="sanitation",
        status="discussion",
        hidden=True,
        hidden_reason="涉及个人信息",
        submitted_at=now,
        published_at=now,
    )
    w.comment = Comment.objects.create(proposal=w.proposal, author=w.resident, body="……")
    w.meeting = Meeting.objects.create(
        council=w.council, title=SECRET_MEETING, starts_at=now, place="社区会议室"
    )
    w.event = Event.objects.create(
        topic=f"community:{baiyun.pk}", type="task.created", data={"title": SECRET_TASK}
    )
    w.activity = Activity.objects.create(
        community=baiyun,
        team=w.team,
        organiser=w.leader,
        kind="training",
        title=SECRET_ACTIVITY,
        place="白云社区会议室",
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=1),
        status="published",
    )
    Signup.objects.create(activity=w.activity, person=w.resident, status="confirmed")
    w.attendance = Attendance.objects.create(
        activity=w.activity, person=w.resident, checked_in_at=now, check_in_method="staff"
    )
    profile = VolunteerProfile(user=w.resident, real_name=REAL_NAME)
    profile.set_id_number("110101196503120018")
    profile.save()
    w.certificate = Certificate.objects.create(
        holder=w.resident,
        community=baiyun,
        period_start=datetime.date.today() - datetime.timedelta(days=30),
        period_end=datetime.date.today(),
        purpose=SECRET_CERTIFICATE,
        total_hours=2,
    )
    log(instance=w.task, action="linli.task.create", user=w.superuser)
    log(instance=w.proposal, action="linli.proposal.hide", user=w.superuser, data={"reason": "x"})
    return w


def body_of(response) -> str:
    """The text of a page, a CSV export or the sheets of an XLSX export."""
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "".join(book.read(name).decode() for name in book.namelist())
    return data.decode()


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def admin_url_patterns():
    """(URL name, pattern, view class, view) of every URL under /admin/ taking an argument."""

    def walk(patterns, route, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespaces + ([pattern.namespace] if pattern.namespace else [])
                yield from walk(pattern.url_patterns, route + str(pattern.pattern), inner)
            elif route.startswith("admin/") and pattern.pattern.regex.groups:
                name = ":".join([*namespaces, pattern.name or "?"])
                view_class = getattr(pattern.callback, "view_class", None)
                yield name, pattern, view_class, pattern.callback

    return list(walk(get_resolver().url_patterns, "", []))


def scoped_urls(world):
    """(URL name, URL, role in scope) for every object URL of every Linli viewset."""
    urls = []
    for name, pattern, view_class, _callback in admin_url_patterns():
        if view_class is None or not issubclass(view_class, ScopedObjectMixin):
            continue
        namespace = name.rsplit(":", 1)[0]
        target = TARGETS.get(name) or TARGETS.get(namespace)
        assert target, f"{name}: add an object of another community to TARGETS"
        attribute, in_scope = target
        (argument,) = pattern.pattern.regex.groupindex
        assert argument == view_class.object_id_kwarg, f"{name} takes its object as {argument}"
        obj = getattr(world, attribute)
        urls.append((name, reverse(name, kwargs={argument: obj.pk}), in_scope))
    return urls


def test_every_admin_url_with_an_argument_is_scoped_or_wagtails_own():
    names = []
    for name, _pattern, view_class, callback in admin_url_patterns():
        if view_class is not None and issubclass(view_class, ScopedObjectMixin):
            names.append(name)
            continue
        module = getattr(view_class, "__module__", None) or callback.__module__
        assert module.split(".")[0] not in LINLI_APPS, f"{name} ({module}) is not scoped"
        assert name.startswith("wagtail"), f"{name} ({module}) is neither Linli's nor Wagtail's"
    # Every viewset of every Linli app, every view of each (the list is discovered).
    for namespace in TARGETS:
        assert any(name == namespace or name.startswith(f"{namespace}:") for name in names), (
            namespace
        )
    for view in ("edit", "history", "history_results", "usage", "status"):
        assert f"teams_task:{view}" in names
    assert {"community:inspect", "community:delete", "community_chooser:chosen"} <= set(names)
    assert {"council_moderation:proposal", "wagtailusers_users:edit"} <= set(names)


@pytest.mark.parametrize("role", ROLES)
def test_object_urls_of_another_community_are_refused(world, role):
    client = client_for(getattr(world, role))
    checked = 0
    for name, url, in_scope in scoped_urls(world):
        response = client.get(url, **XHR)
        if role in (in_scope, "superuser"):
            assert response.status_code == 200, (name, url, response.status_code)
        else:
            assert response.status_code in REFUSED, (name, url, response.status_code)
            body = body_of(response)
            assert not any(secret in body for secret in SECRETS), (name, url)
        checked += 1
    assert checked >= 40


def test_the_reported_usage_page_is_refused(world):
    """The reproduction of the issue: staff of 玉岭社区 open the usage page of 白云社区's task."""
    response = client_for(world.other_staff).get(reverse("teams_task:usage", args=[world.task.pk]))
    assert response.status_code == 404
    assert SECRET_TASK not in response.content.decode()


def test_object_urls_refuse_ids_that_are_not_ids(world):
    client = client_for(world.superuser)
    response = client.get("/admin/community_chooser/chosen/not-a-number/", **XHR)
    assert response.status_code == 404
    response = client.get("/admin/community_chooser/chosen-multiple/?id=not-a-number", **XHR)
    assert response.status_code == 200
    assert response.json()["result"] == []


LISTINGS = [
    "/admin/",
    "/admin/reports/site-history/",
    "/admin/pages/search/?q=SECRET",
    "/admin/teams_task/",
    "/admin/teams_task/results/",
    "/admin/teams_task/?q=SECRET",
    "/admin/teams_task/?export=csv",
    "/admin/teams_task/?export=xlsx",
    "/admin/teams_task/?sensitive=true&community={community}",
    "/admin/teams_need/",
    "/admin/teams_need/?q=SECRET",
    "/admin/teams_hours/",
    "/admin/teams_team/",
    "/admin/council_proposal/",
    "/admin/council_proposal/?q=SECRET",
    "/admin/council_proposal/?hidden=true",
    "/admin/council_moderation/",
    "/admin/council_meeting/",
    "/admin/council_meeting/?q=SECRET",
    "/admin/council_rules/",
    "/admin/membership/",
    "/admin/membership/?q=白云",
    "/admin/community_chooser/",
    "/admin/community_chooser/results/?q=白云",
    "/admin/community_chooser/chosen-multiple/?id={community}",
    "/admin/live_events/",
    "/admin/activities_activity/",
    "/admin/activities_activity/?q=SECRET",
    "/admin/activities_activity/?export=csv",
    "/admin/activities_activity/?community={community}",
    "/admin/activities_attendance/",
    "/admin/activities_attendance/?q=白云",
    "/admin/activities_attendance/?export=csv",
    "/admin/activities_attendance/?export=xlsx",
    "/admin/activities_attendance/?activity={activity}&export=csv",
    "/admin/certificates_certificate/",
    "/admin/certificates_certificate/?status=requested",
    "/admin/certificates_certificate/?community={community}",
    "/admin/certificates_certificate/?q=LL",
]


@pytest.mark.parametrize("role", ["other_staff", "resident", "leader", "editor"])
def test_listings_search_export_choosers_and_reports_keep_other_communities_out(world, role):
    client = client_for(getattr(world, role))
    for url in LISTINGS:
        url = url.format(community=world.community.pk, activity=world.activity.pk)
        response = client.get(url, **XHR)
        assert response.status_code in {200, 403}, (url, response.status_code)
        body = body_of(response)
        assert not any(secret in body for secret in SECRETS), url
        assert MASKED_REAL_NAME not in body and REAL_NAME not in body, url
        if role != "resident":  # their own name may show anywhere
            assert "白云居民" not in body, url


def test_listings_show_the_objects_in_scope(world):
    """The contrast: the street's staff do see 白云社区's objects in the same lists."""
    client = client_for(world.street_staff)
    expected = {
        "/admin/teams_task/": SECRET_TASK,
        "/admin/teams_task/?q=SECRET": SECRET_TASK,
        "/admin/council_proposal/": SECRET_PROPOSAL,
        "/admin/council_moderation/": SECRET_PROPOSAL,
        "/admin/council_meeting/": SECRET_MEETING,
        "/admin/membership/": "白云居民",
        "/admin/teams_hours/": SECRET_TASK,
        "/admin/activities_activity/": SECRET_ACTIVITY,
        "/admin/activities_activity/?q=SECRET": SECRET_ACTIVITY,
        "/admin/activities_attendance/": "白云居民",
        f"/admin/activities_attendance/?activity={world.activity.pk}&export=csv": "白云居民",
        "/admin/certificates_certificate/": MASKED_REAL_NAME,
        reverse("certificates_certificate:edit", args=[world.certificate.pk]): SECRET_CERTIFICATE,
    }
    for url, secret in expected.items():
        response = client.get(url, **XHR)
        assert response.status_code == 200, url
        assert secret in body_of(response), url
        assert REAL_NAME not in body_of(response), url  # masked even in scope
    history = client_for(world.superuser).get("/admin/reports/site-history/")
    assert SECRET_TASK in history.content.decode()


def test_exports_hold_only_the_rows_in_scope(world):
    """The task list exports no columns of its own, so count its rows: one line of headers,
    then one line per task."""
    url = "/admin/teams_task/?export=csv"
    assert body_of(client_for(world.other_staff).get(url)).count("\r\n") == 1
    assert body_of(client_for(world.street_staff).get(url)).count("\r\n") == 2


def test_usage_of_a_shared_team_hides_tasks_of_other_communities(world):
    """A team serving both communities: its usage page lists the tasks that refer to it, but
    staff of 玉岭社区 see 白云社区's sensitive task only as "(Private task)"."""
    world.team.communities.add(world.yuling)
    url = reverse("teams_team:usage", args=[world.team.pk])
    response = client_for(world.other_staff).get(url, **XHR)
    assert response.status_code == 200
    assert SECRET_TASK not in response.content.decode()
    response = client_for(world.street_staff).get(url, **XHR)
    assert SECRET_TASK in response.content.decode()


def test_team_forms_offer_only_the_people_in_scope(world):
    """The members panel of a team offers the people of the communities the staff member
    runs and the team's own members: not a list of everyone on the platform."""
    world.team.communities.add(world.yuling)
    client = client_for(world.other_staff)
    for url in (reverse("teams_team:edit", args=[world.team.pk]), reverse("teams_team:add")):
        body = body_of(client.get(url, **XHR))
        assert "玉岭居民" in body, url
        assert "白云居民" not in body, url
    assert "队长" in body_of(client.get(reverse("teams_team:edit", args=[world.team.pk])))
    assert "白云居民" in body_of(
        client_for(world.street_staff).get(reverse("teams_team:add"), **XHR)
    )


def test_no_model_permission_of_a_scoped_model_is_offered_to_groups():
    """A group holding e.g. "change task" would see every community's task log entries in
    the site history: the group editor offers no permission of a community-scoped model."""
    admin_url_patterns()  # the viewsets register their permissions with the admin's URLs
    offered = {
        permission.content_type.model_class()
        for hook in hooks.get_hooks("register_permissions")
        for permission in hook()
    }
    scoped = {
        Membership,
        Task,
        Need,
        ServiceRecord,
        Team,
        Proposal,
        Meeting,
        Council,
        Activity,
        Attendance,
        Certificate,
    }
    assert not offered & scoped
    assert {Skill, Community} <= offered  # these stay under Django's model permissions
