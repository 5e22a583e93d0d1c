"""Texts the services store (notifications, timelines, the vote summary) come in every offered
language and each reader sees their own, whatever language the actor used (live.texts).

The actor's language is the request's (Accept-Language); so is the reader's.
"""

import datetime
import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from deliberation import services as council_services
from deliberation.models import Proposal
from live.models import Event
from live.texts import localized, pick, text_fields
from teams import services as team_services
from teams.models import Need, Task
from tests.deliberation.conftest import make_proposal, world  # noqa: F401

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
SECRET = "家暴个案回访"


def client(user, language):
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        c.force_login(user)
    return c


def notifications_page(user, language) -> str:
    response = client(user, language).get("/live/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    return html


def notifications_api(user, language) -> list[dict]:
    response = client(user, language).get("/api/v1/notifications")
    assert response.status_code == 200
    return response.json()["items"]


# --- the helper ----------------------------------------------------------------------------


def test_localized_renders_every_offered_language_with_lazy_values():
    texts = localized(
        gettext_lazy("“%(title)s” is now %(status)s."),
        {"title": "清理楼道", "status": Task.Status.DONE.label},
    )
    assert list(texts) == [code for code, _name in settings.LANGUAGES]
    assert texts["en"] == "“清理楼道” is now Done."
    assert texts["zh-hans"].startswith("“清理楼道”") and "Done" not in texts["zh-hans"]
    assert text_fields(texts) == {"text": texts["zh-hans"], "texts": texts}
    assert text_fields("as it is") == {"text": "as it is"}


def test_localized_formats_dates_per_language():
    when = timezone.make_aware(datetime.datetime(2026, 12, 3, 18, 30))
    texts = localized(
        gettext_lazy("Voting on “%(title)s” has opened and closes on %(closes)s."),
        {"title": "路灯", "closes": when},
    )
    assert "2026" in texts["en"] and "Dec" in texts["en"]
    assert "2026年12月3日" in texts["zh-hans"]


def test_pick_chooses_the_active_language_and_falls_back_to_text():
    data = {"text": "默认", "texts": {"zh-hans": "默认", "en": "default"}}
    with translation.override("en"):
        assert pick(data) == "default"
        assert pick({"text": "only this"}) == "only this"
        assert pick({"text": "默认", "texts": {"zh-hans": "默认"}}) == "默认"
        assert pick({"text": None}) == "" and pick(None) == ""
    with translation.override("zh-hans"):
        assert pick(data) == "默认"
    assert pick(data, language="en-us") == "default"


# --- notifications -------------------------------------------------------------------------


@pytest.mark.parametrize("actor_language", ["en", "zh-hans"])
def test_need_notifications_follow_the_reader(world, actor_language):  # noqa: F811
    # The resident asks for help in one language; staff read it in theirs.
    response = client(world.resident, actor_language).post(
        f"/api/v1/communities/{world.yuling.pk}/needs",
        {"category": "repairs", "description": "楼道灯坏了"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    event = Event.objects.get(topic=f"user:{world.staff.pk}", type="need.filed")
    assert event.data["texts"] == {
        "zh-hans": "居民甲发出求助：维修。",
        "en": "居民甲 asked for help: Repairs.",
    }
    assert event.data["text"] == event.data["texts"]["zh-hans"]  # the default language

    assert "居民甲发出求助：维修。" in notifications_page(world.staff, "zh-hans")
    english = notifications_page(world.staff, "en")
    assert "居民甲 asked for help: Repairs." in english and "发出求助" not in english
    assert notifications_api(world.staff, "zh-hans")[0]["text"] == "居民甲发出求助：维修。"
    (item,) = notifications_api(world.staff, "en")
    assert item["text"] == "居民甲 asked for help: Repairs."
    assert item["type"] == "need.filed" and item["label"] and not CHINESE.search(item["label"])

    # Staff decline it in the other language; the resident reads it in theirs.
    other = "zh-hans" if actor_language == "en" else "en"
    need = Need.objects.get()
    response = client(world.staff, other).post(
        f"/api/v1/needs/{need.pk}/decline", {"reason": "已修好"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    en = [i["text"] for i in notifications_api(world.resident, "en")]
    zh = [i["text"] for i in notifications_api(world.resident, "zh-hans")]
    assert "Your request for help was declined: 已修好" in en
    assert "您的求助未受理：已修好" in zh


@pytest.mark.parametrize("actor_language", ["en", "zh-hans"])
def test_proposal_notices_follow_the_reader(world, actor_language):  # noqa: F811
    proposal = make_proposal(world, status="submitted", title="增设路灯")
    client(world.staff, actor_language).post(f"/api/v1/proposals/{proposal.pk}/publish")
    assert Proposal.objects.get(pk=proposal.pk).status == "discussion"
    zh = notifications_page(world.resident, "zh-hans")
    en = notifications_page(world.resident, "en")
    assert "您关注的议题“增设路灯”已开始讨论。" in zh
    assert "Your followed proposal “增设路灯” is now open for discussion." in en
    assert "已开始讨论" not in en
    (item,) = notifications_api(world.resident, "en")
    assert item["text"] == "Your followed proposal “增设路灯” is now open for discussion."
    assert item["url"] == proposal.get_absolute_url()


def test_the_api_pages_back_and_needs_sign_in(world):  # noqa: F811
    from live.services import publish

    for n in range(3):
        publish(topic=f"user:{world.resident.pk}", type="demo", data={"text": f"n{n}"})
    c = client(world.resident, "en")
    page = c.get("/api/v1/notifications?limit=2").json()
    assert [i["text"] for i in page["items"]] == ["n2", "n1"]
    rest = c.get(f"/api/v1/notifications?limit=2&before={page['next_before']}").json()
    assert [i["text"] for i in rest["items"]] == ["n0"] and rest["next_before"] is None
    assert c.get("/api/v1/notifications?limit=0").status_code == 400
    assert Client().get("/api/v1/notifications").status_code == 401


# --- timelines, redaction ------------------------------------------------------------------


def test_task_timeline_follows_the_reader(world):  # noqa: F811
    task = team_services.create_task(actor=world.staff, community=world.yuling, title="清理楼道")
    response = client(world.leader, "en").post(
        f"/api/v1/tasks/{task.pk}/claim", {"team": world.team.pk}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    url = f"/teams/tasks/{task.pk}/"
    zh = client(world.leader, "zh-hans").get(url).content.decode()
    en = client(world.leader, "en").get(url).content.decode()
    assert "玉岭社区环境志愿服务队认领了“清理楼道”。" in zh
    assert "玉岭社区环境志愿服务队 took on “清理楼道”." in en
    assert "认领了“清理楼道”" not in en


@pytest.mark.parametrize("actor_language", ["en", "zh-hans"])
def test_sensitive_titles_stay_out_of_every_language(world, actor_language):  # noqa: F811
    with translation.override(actor_language):
        task = team_services.create_task(
            actor=world.staff,
            community=world.yuling,
            title=SECRET,
            sensitive=True,
            team=world.team,
        )
        team_services.claim_task(actor=world.leader, task=task, team=world.team)
    public = Event.objects.filter(topic__regex=r"^(community|team):")
    assert public.count() >= 3  # created, dispatched, claimed
    for event in public:
        assert SECRET not in json.dumps(event.data, ensure_ascii=False)
        assert set(event.data["texts"]) == {"zh-hans", "en"}
        assert event.data["titles"] == {"zh-hans": "保密任务", "en": "Confidential task"}
        assert event.data["title"] == "保密任务"
    claimed = public.get(topic=f"team:{world.team.pk}", type="task.claimed").data
    assert claimed["texts"]["en"] == "玉岭社区环境志愿服务队 took on a confidential task."
    # The task topic (only for those who may see the task) has the title in both languages.
    full = Event.objects.get(topic=f"task:{task.pk}", type="task.claimed").data
    assert all(SECRET in text for text in full["texts"].values())


# --- the vote summary ----------------------------------------------------------------------


def test_the_outcome_summary_follows_the_reader(world):  # noqa: F811
    proposal = make_proposal(world, status="voting", title="增设路灯")
    council_services.cast_vote(actor=world.resident2, proposal=proposal, choice="support")
    with translation.override("en"):
        council_services.decide_proposal(
            actor=world.staff, proposal=Proposal.objects.get(pk=proposal.pk), outcome="备注"
        )
    proposal.refresh_from_db()
    assert proposal.status == "rejected"  # 1 vote of a quorum of 3
    assert proposal.outcome.startswith("备注\n\n") and "投票数没有达到" in proposal.outcome
    event = Event.objects.get(topic=f"proposal:{proposal.pk}", type="proposal.decided")
    assert event.data["outcome"] == proposal.outcome
    assert event.data["outcomes"]["zh-hans"] == proposal.outcome
    english = event.data["outcomes"]["en"]
    assert english.startswith("备注\n\n") and "The quorum of 3 votes was not reached." in english

    url = proposal.get_absolute_url()
    en = client(world.resident, "en").get(url).content.decode()
    assert "The quorum of 3 votes was not reached." in en and "投票数没有达到" not in en
    zh = client(world.resident, "zh-hans").get(url).content.decode()
    assert "投票数没有达到" in zh
    api = client(world.resident, "en").get(f"/api/v1/proposals/{proposal.pk}").json()
    assert api["outcome"] == english

    # Rules changed since: the summary no longer matches the counts, shown as stored.
    world.council.quorum_votes = 1
    world.council.save()
    api = client(world.resident, "en").get(f"/api/v1/proposals/{proposal.pk}").json()
    assert api["outcome"] == proposal.outcome


def test_a_task_made_for_a_request_for_help_is_titled_in_the_sites_language(world):  # noqa: F811
    with translation.override("en"):
        need = team_services.file_need(
            actor=world.resident, community=world.yuling, category="repairs", description="灯坏了"
        )
        task = team_services.accept_need(actor=world.staff, need=need)
    assert task.title == "求助：维修"
    accepted = Event.objects.get(topic=f"user:{world.resident.pk}", type="need.accepted").data
    assert accepted["texts"]["en"].startswith("Your request for help was accepted")
