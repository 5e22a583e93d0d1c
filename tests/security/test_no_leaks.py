"""The attacker's crawl: no private text reaches a person who may not read it now (issue 22).

One world holds a unique marker in every private field: a sensitive task given to team X,
updated (text and photo), with hours, then given back by X (it is with staff now); a sensitive
task held by team Y; a private request for help; a draft and a hidden proposal, a hidden comment;
a task that was public when its events were published and was marked sensitive later. Then, for
each person who must not read them, every GET page of the URL resolver (ids filled with those of
the world), every GET operation of the OpenAPI schema (with its filters), the Wagtail pages API,
search, notifications, the photo URLs and the WebSocket replay (since=0) of every topic the
person may follow. No marker may appear anywhere, and nothing may give a 500.

The same crawl for the people entitled (staff of the community, team Y) must find the markers,
so that the test cannot pass by reading nothing. A URL or an API path whose ids the crawl cannot
fill fails the test: a new page must be added to ID_SOURCES, not skipped.
"""

import io
import itertools
import json
import re

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

from activities.models import Activity
from brands.models import BrandPage, HomePage
from certificates import services as certificates
from communities.models import Membership
from deliberation import services as council
from deliberation.models import Comment, Meeting, Proposal, ProposalPhoto
from live import topics
from teams import services as teams
from teams.models import ServiceRecord, Task, TaskUpdate, Team, TeamMembership
from tests.factories import CommunityFactory, CouncilFactory
from tests.live.helpers import live_socket
from tests.live.test_read_now import replay
from tests.teams.conftest import client_for, make_team, make_user, member, skills

# Transactional: the WebSocket consumer reads from other threads. A transactional test before
# this one may have emptied the tables, the home page and site of the migrations included, so the
# world makes them again when they are missing (home_page).
pytestmark = pytest.mark.django_db(transaction=True)

M = {
    "task_a_title": "泄露标记SECRET-A-TITLE",
    "task_a_description": "泄露标记SECRET-A-DESC",
    "task_a_location": "泄露标记SECRET-A-PLACE",
    "task_a_update": "泄露标记SECRET-A-UPDATE",
    "task_a_hours": "泄露标记SECRET-A-HOURS",
    "task_b_title": "泄露标记SECRET-B-TITLE",
    "task_b_description": "泄露标记SECRET-B-DESC",
    "task_b_location": "泄露标记SECRET-B-PLACE",
    "task_b_update": "泄露标记SECRET-B-UPDATE",
    "task_c_title": "泄露标记SECRET-C-TITLE",
    "need": "泄露标记SECRET-NEED",
    "draft_title": "泄露标记SECRET-DRAFT-TITLE",
    "draft_body": "泄露标记SECRET-DRAFT-BODY",
    "hidden_title": "泄露标记SECRET-HIDDEN-TITLE",
    "hidden_body": "泄露标记SECRET-HIDDEN-BODY",
    "comment": "泄露标记SECRET-COMMENT",
}
MARKER = re.compile("泄露标记SECRET-[A-Z-]+")
# Also found escaped, as a JSON body without ensure_ascii=False carries it.
ESCAPED = json.dumps("泄露标记")[1:-1]

NOT_ENTITLED = [
    "anonymous",
    "abuser",
    "leader_z",
    "member_x",
    "leader_x",
    "other_staff",
    "outsider",
]


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def build_world():
    class W:
        pass

    w = W()
    district = CommunityFactory(name="松滋市", kind="district")
    w.yuling = CommunityFactory(name="玉岭社区", parent=district)
    w.other = CommunityFactory(name="白云社区", parent=district)
    w.council = CouncilFactory(community=w.yuling, name="玉岭社区居民议事会")
    CouncilFactory(community=w.other, name="白云社区议事会")
    skills("sanitation", "elderly-care")

    w.anonymous = None
    w.staff = member(make_user("staff@example.com", display_name="社工"), w.yuling, "staff")
    w.other_staff = member(make_user("otherstaff@example.com"), w.other, "staff")
    w.victim = member(make_user("victim@example.com", display_name="王阿姨"), w.yuling)
    w.abuser = member(make_user("abuser@example.com", display_name="居民甲"), w.yuling)
    w.outsider = member(make_user("outsider@example.com"), w.other)
    w.leader_x = member(make_user("leaderx@example.com", display_name="队长X"), w.yuling)
    w.member_x = member(make_user("memberx@example.com", display_name="队员X"), w.yuling)
    w.leader_y = member(make_user("leadery@example.com", display_name="队长Y"), w.yuling)
    w.member_y = member(make_user("membery@example.com", display_name="队员Y"), w.yuling)
    w.leader_z = member(make_user("leaderz@example.com", display_name="队长Z"), w.yuling)
    w.team_x = make_team("X队", community=w.yuling, leader=w.leader_x, members=[w.member_x])
    w.team_y = make_team("Y队", community=w.yuling, leader=w.leader_y, members=[w.member_y])
    w.team_z = make_team("Z队", community=w.yuling, leader=w.leader_z)

    # A: given to X, worked on, hours logged, then given back to staff.
    w.task_a = teams.create_task(
        actor=w.staff,
        community=w.yuling,
        title=M["task_a_title"],
        description=M["task_a_description"],
        location=M["task_a_location"],
        sensitive=True,
        team=w.team_x,
        required_skills=["sanitation"],
    )
    teams.claim_task(actor=w.leader_x, task=w.task_a, team=w.team_x)
    teams.post_update(actor=w.member_x, task=w.task_a, text=M["task_a_update"], photo=jpeg())
    teams.post_update(actor=w.member_x, task=w.task_a, photo=jpeg(), status="in_progress")
    teams.log_hours(
        actor=w.member_x,
        task=w.task_a,
        hours="2",
        date=Task.objects.get(pk=w.task_a.pk).created_at.date(),
        note=M["task_a_hours"],
    )
    certified = teams.log_hours(
        actor=w.member_x,
        task=w.task_a,
        hours="1",
        date=Task.objects.get(pk=w.task_a.pk).created_at.date(),
        note=M["task_a_hours"],
    )
    teams.approve_hours(actor=w.staff, record=certified)
    teams.release_task(actor=w.leader_x, task=w.task_a, reason="人手不够")
    # X's member holds a certificate for hours on A, whose case X has left since.
    certificates.save_profile(
        actor=w.member_x, real_name="队员甲", id_type="passport", id_number="E12345678"
    )
    w.certificate, _created = certificates.request_certificate(
        actor=w.member_x,
        community=w.yuling,
        period_start=certified.date,
        period_end=certified.date,
    )
    certificates.issue_certificate(actor=w.staff, certificate=w.certificate)

    # B: held by Y.
    w.task_b = teams.create_task(
        actor=w.staff,
        community=w.yuling,
        title=M["task_b_title"],
        description=M["task_b_description"],
        location=M["task_b_location"],
        sensitive=True,
        team=w.team_y,
        required_skills=["sanitation"],
    )
    teams.claim_task(actor=w.leader_y, task=w.task_b, team=w.team_y)
    teams.post_update(actor=w.member_y, task=w.task_b, text=M["task_b_update"], photo=jpeg())
    teams.log_hours(
        actor=w.member_y,
        task=w.task_b,
        hours="1",
        date=Task.objects.get(pk=w.task_b.pk).created_at.date(),
    )

    # C: public when its events were published (claimed by Z), marked sensitive later in the admin.
    w.task_c = teams.create_task(
        actor=w.staff,
        community=w.yuling,
        title=M["task_c_title"],
        required_skills=["sanitation"],
    )
    teams.claim_task(actor=w.leader_z, task=w.task_c, team=w.team_z)
    teams.release_task(actor=w.leader_z, task=w.task_c)
    task_c = Task.objects.get(pk=w.task_c.pk)
    task_c.sensitive = True
    task_c.save()

    w.need = teams.file_need(
        actor=w.victim,
        community=w.yuling,
        category="other",
        description=M["need"],
        private=True,
    )

    w.draft = council.create_proposal(
        actor=w.victim,
        community=w.yuling,
        title=M["draft_title"],
        body=M["draft_body"],
        photos=[jpeg()],
        submit=False,
    )
    w.hidden = council.create_proposal(
        actor=w.victim,
        community=w.yuling,
        title=M["hidden_title"],
        body=M["hidden_body"],
        photos=[jpeg()],
    )
    council.publish_proposal(actor=w.staff, proposal=w.hidden)
    council.add_comment(actor=w.abuser, proposal=w.hidden, body="看看")
    council.hide_proposal(actor=w.staff, proposal=w.hidden, reason="含住址")
    w.public = council.create_proposal(
        actor=w.abuser, community=w.yuling, title="东门垃圾点清运", body="三天没人收了。"
    )
    council.publish_proposal(actor=w.staff, proposal=w.public)
    w.comment = council.add_comment(actor=w.victim, proposal=w.public, body=M["comment"])
    council.hide_comment(actor=w.staff, comment=w.comment, reason="含住址")
    # A meeting whose agenda still lists the proposal that was hidden afterwards.
    w.meeting = Meeting.objects.create(
        council=w.council, title="议事会", starts_at=timezone.now(), place="社区活动室"
    )
    w.meeting.agenda.set([w.hidden, w.public])
    w.brand = brand_page_of([w.team_x, w.team_y, w.team_z])
    return w


def home_page():
    """The home page and default site, as brands/migrations/0002_create_homepage.py makes them."""
    home = HomePage.objects.first()
    if home is not None:
        return home
    locale, _created = Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = root.add_child(instance=HomePage(title="邻里", slug="home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home},
    )
    return home


def brand_page_of(team_list):
    """A published brand page showing the teams (and the tasks they are on)."""
    home = home_page()
    page = home.add_child(instance=BrandPage(title="邻里守望", slug="linli-brand"))
    page.teams.set(team_list)
    page.save_revision().publish()
    return page


# --- what the crawl asks ----------------------------------------------------------------------


def id_sources(w) -> dict[str, list[int]]:
    tasks = list(Task.objects.values_list("pk", flat=True))
    return {
        "task": tasks,
        "team": list(Team.objects.values_list("pk", flat=True)),
        "community": [w.yuling.pk, w.other.pk],
        "need": [w.need.pk],
        "proposal": list(Proposal.objects.values_list("pk", flat=True)),
        "comment": list(Comment.objects.values_list("pk", flat=True)),
        "meeting": list(Meeting.objects.values_list("pk", flat=True)),
        "membership": list(Membership.objects.values_list("pk", flat=True)),
        "team_membership": list(TeamMembership.objects.values_list("pk", flat=True)),
        "record": list(ServiceRecord.objects.values_list("pk", flat=True)),
        "task_update": list(TaskUpdate.objects.values_list("pk", flat=True)),
        "proposal_photo": list(ProposalPhoto.objects.values_list("pk", flat=True)),
        "activity": list(Activity.objects.values_list("pk", flat=True)),
        **certificate_ids(),
    }


def certificate_ids() -> dict[str, list]:
    from certificates.models import Certificate, CertificateLine

    numbered = Certificate.objects.exclude(number=None)
    return {
        "certificate": list(Certificate.objects.values_list("pk", flat=True)),
        "certificate_line": list(CertificateLine.objects.values_list("pk", flat=True)),
        "certificate_number": list(numbered.values_list("number", flat=True)),
    }


#: (a regular expression on the route before the argument, the argument) -> the objects.
ID_SOURCES = [
    (r"^photos/task-updates/$", "pk", "task_update"),
    (r"^photos/proposals/$", "pk", "proposal_photo"),
    (r"^teams/tasks/$", "pk", "task"),
    (r"^teams/needs/$", "pk", "need"),
    (r"^teams/$", "pk", "team"),
    (r"/requests/$", "membership_id", "team_membership"),
    (r"^teams/\d+/hours/$", "record_id", "record"),
    (r"^communities/memberships/$", "pk", "membership"),
    (r"^communities/$", "pk", "community"),
    (r"^council/$", "community_id", "community"),
    (r"^council/proposals/$", "pk", "proposal"),
    (r"^council/comments/$", "pk", "comment"),
    (r"^council/meetings/$", "pk", "meeting"),
    (r"^activities/$", "pk", "activity"),
    (r"^records/certificates/$", "pk", "certificate"),
    (r"^records/certificates/\d+/lines/$", "line_pk", "certificate_line"),
    (r"^records/certificates/\d+/records/$", "record_pk", "record"),
    (r"^records/publicity/$", "community_pk", "community"),
    (r"^records/verify/$", "number", "certificate_number"),
]

#: Framework routes outside Linli's data: the admin (tests/security/test_admin_scope.py walks
#: it), allauth's and Django's own, static and media files, Wagtail's page serving and its
#: password form for restricted pages (crawled through the root page and the pages API).
SKIPPED_PREFIXES = (
    "admin/",
    "documents/",
    "accounts/",
    "_allauth/",
    "_util/",
    "i18n/",
    "static/",
    "media/",
)
ARGUMENT = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def route_patterns(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from route_patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def page_urls(w) -> list[str]:
    ids = id_sources(w)
    urls = ["/", w.brand.url, "/search/?q=泄露标记", "/live/notifications/"]
    unfilled = []
    for route in route_patterns():
        if route.startswith(SKIPPED_PREFIXES) or route.startswith("^"):
            continue
        if route == "api/v1/" or route.startswith("api/"):
            continue
        filled = [route]
        while filled and ARGUMENT.search(filled[0]):
            match = ARGUMENT.search(filled[0])
            if match["converter"] not in ("int", "str"):
                unfilled.append(route)
                filled = []
                break
            before = filled[0][: match.start()]
            source = next(
                (
                    s
                    for pattern, name, s in ID_SOURCES
                    if name == match["name"] and re.search(pattern, before)
                ),
                None,
            )
            if source is None:
                unfilled.append(route)
                filled = []
                break
            filled = [
                url[: match.start()] + str(pk) + url[match.end() :]
                for url in filled
                for pk in ids[source]
            ]
        urls += ["/" + url for url in filled]
    assert not unfilled, f"routes whose ids the crawl cannot fill (add to ID_SOURCES): {unfilled}"
    return urls


API_PATH_IDS = {
    "community_id": "community",
    "task_id": "task",
    "team_id": "team",
    "proposal_id": "proposal",
    "meeting_id": "meeting",
    "activity_id": "activity",
    "certificate_id": "certificate",
    "number": "certificate_number",
}


def api_urls(w, client) -> list[str]:
    schema = client.get("/api/v1/openapi.json").json()
    ids = id_sources(w)
    filters = {
        "community": [str(pk) for pk in ids["community"]],
        "team": [str(pk) for pk in ids["team"]],
        "status": [*Task.Status.values, *Proposal.Status.values],
        "q": ["泄露标记", "SECRET"],
        "mine": ["true"],
        "skill": ["sanitation"],
        "category": ["other", "sanitation"],
        "kind": ["community"],
    }
    urls = []
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        paths = [path]
        for parameter in (p for p in parameters if p["in"] == "path"):
            assert parameter["name"] in API_PATH_IDS, f"{path}: add {parameter['name']}"
            source = ids[API_PATH_IDS[parameter["name"]]]
            paths = [
                p.replace("{" + parameter["name"] + "}", str(pk)) for p in paths for pk in source
            ]
        for p in paths:
            urls.append(p)
            for parameter in (q for q in parameters if q["in"] == "query"):
                for value in filters.get(parameter["name"], []):
                    urls.append(f"{p}?{parameter['name']}={value}")
    return urls


WAGTAIL_API = [
    "/api/v2/pages/",
    "/api/v2/pages/?search=泄露标记",
    "/api/v2/pages/?search=SECRET",
    "/api/v2/images/",
    "/api/v2/documents/",
]


def crawl(w, user) -> tuple[dict[str, str], dict[str, int]]:
    """{url: body} of every GET, and {url: status} of those that failed (>= 500)."""
    client = client_for(user)
    bodies, errors = {}, {}
    urls = page_urls(w) + api_urls(w, client) + WAGTAIL_API
    for url in dict.fromkeys(urls):
        response = client.get(url, HTTP_ACCEPT="text/html,application/json")
        if response.status_code >= 500:
            errors[url] = response.status_code
        if url.startswith("/photos/"):
            bodies[url] = f"status {response.status_code}"
            continue
        body = b"".join(response) if response.streaming else response.content
        bodies[url] = body.decode("utf-8", "replace")
    return bodies, errors


def markers_in(text: str) -> set[str]:
    return set(MARKER.findall(text.replace(ESCAPED, "泄露标记")))


def leaks(bodies: dict[str, str]) -> dict[str, set[str]]:
    return {url: found for url, body in bodies.items() if (found := markers_in(body))}


# --- WebSocket ---------------------------------------------------------------------------------


def followable_topics(w, user) -> list[str]:
    candidates = [f"community:{w.yuling.pk}", f"community:{w.other.pk}"]
    candidates += [f"team:{pk}" for pk in Team.objects.values_list("pk", flat=True)]
    candidates += [f"task:{pk}" for pk in Task.objects.values_list("pk", flat=True)]
    candidates += [f"proposal:{pk}" for pk in Proposal.objects.values_list("pk", flat=True)]
    if user is not None:
        candidates.append(f"user:{user.pk}")
    return [t for t in candidates if topics.can_follow(user or AnonymousUser(), t)]


async def _replays(user, topic_list) -> dict[str, str]:
    found = {}
    async with live_socket(user) as ws:
        for topic in topic_list:
            found[topic] = json.dumps(await replay(ws, topic), ensure_ascii=False)
    return found


def replays(w, user) -> dict[str, str]:
    return async_to_sync(_replays)(user, followable_topics(w, user))


# --- the tests ---------------------------------------------------------------------------------


def test_no_one_reads_what_they_may_not_see_now():
    w = build_world()
    found = {}
    for role in NOT_ENTITLED:
        user = getattr(w, role)
        bodies, errors = crawl(w, user)
        assert not errors, (role, errors)
        assert len(bodies) > 100, role
        for url, body in bodies.items():
            # Every photo of the world shows a private thing (a sensitive task, a draft or a
            # hidden proposal).
            if url.startswith("/photos/") and body == "status 200":
                found[(role, url)] = {"photo served"}
        for url, markers in leaks(bodies).items():
            found[(role, url)] = markers
        followed = replays(w, user)
        assert f"community:{w.yuling.pk}" in followed, role  # public: the replay is not empty
        for topic, text in followed.items():
            if markers := markers_in(text):
                found[(role, f"ws {topic}")] = markers
    # The team that gave the case back still reviews its hours: the answer names no case.
    record = ServiceRecord.objects.get(task=w.task_a, status=ServiceRecord.Status.PENDING)
    response = client_for(w.leader_x).post(f"/api/v1/hours/{record.pk}/approve")
    assert response.status_code == 200, response.content
    if markers := markers_in(response.content.decode()):
        found[("leader_x", f"POST /api/v1/hours/{record.pk}/approve")] = markers
    # Every write on the given-back case, tried by those who may not read it: refused, and the
    # refusal names nothing of it.
    schema = client_for(w.staff).get("/api/v1/openapi.json").json()
    writes = [
        path.replace("{task_id}", str(w.task_a.pk))
        for path, operations in schema["paths"].items()
        if "post" in operations and "{task_id}" in path
    ]
    assert writes
    for role in ["abuser", "leader_x", "member_x", "leader_z"]:
        client = client_for(getattr(w, role))
        for url in writes:
            response = client.post(url, {}, content_type="application/json")
            assert response.status_code < 500, (role, url)
            if markers := markers_in(response.content.decode()):
                found[(role, f"POST {url}")] = markers
    assert not found, "\n".join(f"{role} {url}: {sorted(m)}" for (role, url), m in found.items())


def test_the_entitled_read_it():
    """Staff of the community read every marker; team Y reads its own task; the requester her
    need: the crawl above is not blind."""
    w = build_world()
    staff_bodies, errors = crawl(w, w.staff)
    assert not errors
    staff_sees = set(itertools.chain.from_iterable(leaks(staff_bodies).values()))
    task_a = f"/teams/tasks/{w.task_a.pk}/"
    assert {M["task_a_title"], M["task_a_description"], M["task_a_update"]} <= markers_in(
        staff_bodies[task_a]
    )
    assert M["task_a_title"] in markers_in(staff_bodies[f"/api/v1/tasks/{w.task_a.pk}"])
    assert set(M.values()) - {M["task_a_hours"]} <= staff_sees
    update = TaskUpdate.objects.filter(task=w.task_a).exclude(photo="").first()
    assert staff_bodies[f"/photos/task-updates/{update.pk}/"] == "status 200"

    assert "Y队" in staff_bodies[w.brand.url]  # the brand page was served, with its teams

    y_bodies, errors = crawl(w, w.member_y)
    assert not errors
    assert {M["task_b_title"], M["task_b_update"]} <= markers_in(
        y_bodies[f"/teams/tasks/{w.task_b.pk}/"]
    )
    assert M["task_b_title"] in markers_in(y_bodies[f"/api/v1/tasks/{w.task_b.pk}"])
    y_sees = set(itertools.chain.from_iterable(leaks(y_bodies).values()))
    assert y_sees <= {M["task_b_title"], M["task_b_description"], M["task_b_location"]} | {
        M["task_b_update"]
    }, y_sees

    y_replays = replays(w, w.member_y)
    assert M["task_b_update"] in markers_in(y_replays[f"task:{w.task_b.pk}"])
    staff_replays = replays(w, w.staff)
    assert M["task_a_title"] in markers_in(staff_replays[f"task:{w.task_a.pk}"])
