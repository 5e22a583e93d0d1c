"""English pages show no Chinese apart from people's own content.

The data below is seeded with English or Latin names only (communities, teams, skills, titles,
people), so a Han character on an English page is an untranslated interface string or a
hard-coded Chinese string. The language switch lists "简体中文" in Chinese on purpose: that
option is marked lang="zh-hans" and left out of the check.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from accounts.models import User
from communities.models import Community, Membership
from deliberation import services as council_services
from deliberation.models import Council, Proposal
from live.services import publish
from teams import services as team_services
from teams.models import Skill, Team, TeamMembership

pytestmark = pytest.mark.django_db

# Han ideographs, CJK symbols and punctuation (、。「」), full-width forms (，：！).
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff65]")
CHINESE_LANGUAGE_NAME = re.compile(r"<option[^>]*\blang=\"zh-hans\"[^>]*>[^<]*</option>")
# Notifications, task timelines and the vote summary of a decision are stored in every offered
# language (live.texts) and shown in the reader's, so they are checked here. The description of
# a follow-up task is written once in the site's language (zh-hans), like what people write: it
# is data, not interface, and left out here.
RECORDED_TEXTS = [
    re.compile(r'<div class="task-description">.*?</div>', re.S),
]


def chinese_in(html: str) -> list[str]:
    """Each Han character with some context, outside elements marked lang="zh-hans"."""
    text = CHINESE_LANGUAGE_NAME.sub("", html)
    for pattern in RECORDED_TEXTS:
        text = pattern.sub(lambda m: "".join(g or "" for g in m.groups()), text)
    found = []
    for match in CHINESE.finditer(text):
        line = text[text.rfind("\n", 0, match.start()) + 1 : text.find("\n", match.end())]
        if line.strip() not in found:
            found.append(line.strip())
    return found


def person(email, name, community=None, role="resident"):
    user = User.objects.create_user(email=email, password="pw-123456", display_name=name)
    if community is not None:
        Membership.objects.create(user=user, community=community, role=role, status="verified")
    return user


@pytest.fixture
def english_world(db):
    from wagtail.models import Page, Site

    for page in Page.objects.filter(depth__gte=2).specific():
        page.title = page.draft_title = "Linli"
        if hasattr(page, "intro"):
            page.intro = "Residents' council and volunteer teams."
        page.save()
    Site.objects.update(site_name="Linli")
    with translation.override("en"):
        for skill in Skill.objects.all():
            skill.name = str(dict(Skill.SLUGS)[skill.slug])  # the English label
            skill.save(update_fields=["name"])

    district = Community.objects.create(name="Songzi", kind="district")
    street = Community.objects.create(name="Xinjiangkou Street", kind="street", parent=district)
    yuling = Community.objects.create(name="Yuling Community", kind="community", parent=street)
    council = Council.objects.create(
        community=yuling, name="Yuling Residents' Council", quorum_votes=1, voting_days=7
    )
    staff = person("staff@example.com", "Li Staff", yuling, role="staff")
    resident = person("resident@example.com", "Liu Ayi", yuling)
    neighbour = person("neighbour@example.com", "Wang Bo", yuling)
    leader = person("leader@example.com", "Zhang Lead", yuling)
    person("pending@example.com", "New Comer")
    Membership.objects.create(
        user=User.objects.get(email="pending@example.com"), community=yuling, status="pending"
    )
    team = Team.objects.create(name="Yuling Green Team", description="Volunteers of Yuling.")
    team.skills.set(Skill.objects.filter(slug__in=["sanitation", "greening"]))
    team.communities.set([yuling])
    TeamMembership.objects.create(team=team, user=leader, role="leader", status="active")

    def propose(title, **kw):
        return council_services.create_proposal(
            actor=resident,
            community=yuling,
            title=title,
            body="The bins at the east gate were not emptied for three days.",
            category="sanitation",
            location="East gate",
            **kw,
        )

    discussed = propose("Bins at the east gate")
    council_services.publish_proposal(actor=staff, proposal=discussed)
    comment = council_services.add_comment(actor=neighbour, proposal=discussed, body="Agreed.")
    council_services.add_comment(
        actor=resident, proposal=discussed, body="Thank you.", parent=comment
    )
    voting = propose("Benches by the pond")
    council_services.publish_proposal(actor=staff, proposal=voting)
    council_services.open_voting(actor=staff, proposal=voting)
    council_services.cast_vote(actor=neighbour, proposal=voting, choice="support")
    council_services.cast_vote(actor=resident, proposal=voting, choice="oppose")
    decided = propose("Lights in building 3")
    council_services.publish_proposal(actor=staff, proposal=decided)
    council_services.open_voting(actor=staff, proposal=decided)
    council_services.cast_vote(actor=neighbour, proposal=decided, choice="support")
    decided = council_services.decide_proposal(
        actor=staff, proposal=Proposal.objects.get(pk=decided.pk), outcome="The team will do it."
    )
    propose("A draft of mine", submit=False)
    assisted = council_services.create_proposal(
        actor=staff,
        community=yuling,
        title="Handrail on stairs",
        body="Filed at the service station.",
        on_behalf_of=neighbour,
    )
    task = decided.task
    team_services.claim_task(actor=leader, task=task, team=team)
    team_services.file_need(
        actor=resident, community=yuling, category="repairs", description="Leaking tap."
    )
    team_services.file_need(
        actor=staff,
        community=yuling,
        category="elderly-care",
        description="Needs a lift.",
        on_behalf_of=neighbour,
    )
    publish(topic=f"user:{resident.pk}", type="proposal.published", data={"text": "Hello"})
    return {
        "yuling": yuling,
        "council": council,
        "team": team,
        "task": task,
        "discussed": discussed,
        "voting": voting,
        "decided": decided,
        "assisted": assisted,
        "people": {"staff": staff, "resident": resident, "leader": leader, None: None},
    }


def pages(w):
    c, t = w["yuling"].pk, w["team"].pk
    return [
        (None, "/"),
        (None, "/communities/"),
        (None, f"/communities/{c}/"),
        (None, "/council/"),
        (None, f"/council/{c}/"),
        (None, f"/council/{c}/?q=bins"),
        (None, f"/council/{c}/meetings/"),
        (None, w["discussed"].get_absolute_url()),
        (None, w["voting"].get_absolute_url()),
        (None, w["decided"].get_absolute_url()),
        (None, "/teams/"),
        (None, f"/teams/{t}/"),
        (None, f"/teams/tasks/{w['task'].pk}/"),
        (None, "/search/?q=bins"),
        (None, "/accounts/login/"),
        (None, "/accounts/signup/"),
        (None, "/accounts/password/reset/"),
        ("resident", w["discussed"].get_absolute_url()),
        ("resident", w["voting"].get_absolute_url()),
        ("resident", f"/council/{c}/new/"),
        ("resident", "/council/mine/"),
        ("resident", "/teams/needs/"),
        ("resident", "/teams/my/tasks/"),
        ("resident", "/teams/my/hours/"),
        ("resident", "/live/notifications/"),
        ("resident", "/me/"),
        ("resident", f"/communities/{c}/"),
        ("leader", f"/teams/{t}/board/"),
        ("leader", f"/teams/{t}/hours/"),
        ("leader", f"/teams/tasks/{w['task'].pk}/"),
        ("staff", w["assisted"].get_absolute_url()),
        ("staff", w["voting"].get_absolute_url()),
        ("staff", f"/council/{c}/new/"),
        ("staff", "/teams/needs/"),
        ("staff", "/teams/dispatch/"),
        ("staff", f"/communities/{c}/requests/"),
        ("staff", "/communities/managed/"),
    ]


def _client(user, **headers):
    client = Client(**headers)
    if user is not None:
        client.force_login(user)
    return client


def test_main_pages_in_english_show_no_chinese(english_world):
    w = english_world
    problems = []
    for who, path in pages(w):
        client = _client(w["people"][who], HTTP_ACCEPT_LANGUAGE="en")
        response = client.get(path, follow=True)
        assert response.status_code == 200, (who, path, response.status_code)
        html = response.content.decode()
        assert '<html lang="en"' in html, (who, path)
        found = chinese_in(html)
        if found:
            problems.append(f"{who or 'anonymous'} {path}: " + " | ".join(found[:5]))
    assert not problems, "Chinese on English pages:\n" + "\n".join(problems)


def test_the_language_switch_turns_pages_english_and_back(english_world):
    w = english_world
    client = _client(w["people"]["resident"])
    path = w["voting"].get_absolute_url()
    html = client.get(path).content.decode()
    assert '<html lang="zh-hans"' in html and chinese_in(html)
    response = client.post("/i18n/setlang/", {"language": "en", "next": path})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(path).content.decode()
    assert '<html lang="en"' in html and not chinese_in(html)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": path})
    assert '<html lang="zh-hans"' in client.get(path).content.decode()


def test_the_language_names_are_marked_with_their_language(english_world):
    html = _client(None, HTTP_ACCEPT_LANGUAGE="en").get("/communities/").content.decode()
    assert re.search(r'<option value="zh-hans"[^>]*lang="zh-hans"', html)


def test_english_api_errors_and_labels(english_world):
    w = english_world
    client = _client(w["people"]["resident"], HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(f"/api/v1/proposals/{w['voting'].pk}")
    assert response.status_code == 200
    assert not chinese_in(response.content.decode("unicode_escape"))
    response = client.post(
        f"/api/v1/proposals/{w['voting'].pk}/publish", content_type="application/json"
    )
    assert response.status_code == 403
    assert not chinese_in(response.json()["detail"])
