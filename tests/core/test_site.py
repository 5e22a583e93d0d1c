import json

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from config.asgi import application

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "邻里" in html


def test_home_page_in_english_after_switching(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Sign in" in html


@pytest.mark.django_db(transaction=True)
async def test_websocket_answers_ping():
    communicator = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")],
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"action": "ping"}))
    assert json.loads(await communicator.receive_from()) == {"type": "pong"}
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_websocket_refuses_foreign_origin():
    communicator = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[(b"origin", b"https://evil.example"), (b"host", b"testserver")],
    )
    connected, _ = await communicator.connect()
    assert not connected


def test_redis_selected_when_redis_url_set(monkeypatch):
    import importlib

    import config.settings.base as base

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    try:
        reloaded = importlib.reload(base)
        assert (
            reloaded.CHANNEL_LAYERS["default"]["BACKEND"]
            == "channels_redis.pubsub.RedisPubSubChannelLayer"
        )
        assert reloaded.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] == ["redis://127.0.0.1:6379/3"]
    finally:
        monkeypatch.delenv("REDIS_URL")
        reloaded = importlib.reload(base)
    assert reloaded.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert reloaded.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def test_the_redis_cache_is_django_redis_failing_safe(monkeypatch):
    import importlib

    import config.settings.base as base

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    try:
        reloaded = importlib.reload(base)
        cache = reloaded.CACHES["default"]
        assert cache["BACKEND"] == "django_redis.cache.RedisCache"
        assert cache["LOCATION"] == "redis://127.0.0.1:6379/3"
        # Fail-safe: an unreachable Redis is a cache miss, found out within a second.
        assert cache["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
        assert cache["OPTIONS"]["CLIENT_CLASS"] == "core.cache.FailOpenClient"
        assert cache["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] <= 1
        assert cache["OPTIONS"]["SOCKET_TIMEOUT"] <= 1
        assert reloaded.RATELIMIT_FAIL_OPEN is True
        assert not any(c.startswith("django_ratelimit.") for c in reloaded.SILENCED_SYSTEM_CHECKS)
    finally:
        monkeypatch.delenv("REDIS_URL")
        reloaded = importlib.reload(base)
    assert reloaded.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert "django_ratelimit.E003" in reloaded.SILENCED_SYSTEM_CHECKS


def test_missing_page_is_a_chinese_404_in_the_site_look(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "找不到这个页面" in html
    assert 'class="site-header"' in html


def test_refused_page_is_a_chinese_403_in_the_site_look(client, django_user_model):
    from teams.models import Team

    team = Team.objects.create(name="环境志愿服务队")
    client.force_login(django_user_model.objects.create_user("someone@example.com", "pw-123456"))
    response = client.get(f"/teams/{team.pk}/board/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "无权访问" in html
    assert 'class="site-header"' in html
