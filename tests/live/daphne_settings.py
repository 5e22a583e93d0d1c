"""Settings of the daphne process that tests/live/test_wire.py starts: the test settings plus
the `probe` topic kind (tests/live/probe)."""

from config.settings.test import *  # noqa: F403
from config.settings.test import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.live.probe.apps.ProbeConfig"]
