"""config/asgi.py: Django's own ASGI application for HTTP, Channels' routing for WebSockets, and
the server process's interpreter tuned as the settings say."""

import gc
import importlib
import sys

import pytest
from django.core.handlers.asgi import ASGIHandler


@pytest.fixture
def interpreter():
    thresholds, interval = gc.get_threshold(), sys.getswitchinterval()
    yield
    gc.set_threshold(*thresholds)
    sys.setswitchinterval(interval)
    gc.unfreeze()


def test_http_is_djangos_asgi_handler():
    from config.asgi import application

    assert type(application.application_mapping["http"]) is ASGIHandler
    assert "websocket" in application.application_mapping


def test_server_settings_tune_the_collector_and_the_switch_interval(settings, interpreter):
    import config.asgi

    gc.unfreeze()
    settings.GC_THRESHOLDS = (50_000, 20, 100)
    settings.GIL_SWITCH_INTERVAL = 0.001
    importlib.reload(config.asgi)
    assert gc.get_threshold() == (50_000, 20, 100)
    assert gc.get_freeze_count() > 0
    assert sys.getswitchinterval() == pytest.approx(0.001)


def test_none_keeps_the_interpreters_own(settings, interpreter):
    import config.asgi

    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    sys.setswitchinterval(0.005)
    settings.GC_THRESHOLDS = None
    settings.GIL_SWITCH_INTERVAL = None
    importlib.reload(config.asgi)
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0
    assert sys.getswitchinterval() == pytest.approx(0.005)
