"""A throwaway topic kind, `probe:<id>`, that anyone may follow: for tests that run a real
daphne process (tests/live/test_wire.py) without needing any data in its database."""

from django.apps import AppConfig


class ProbeConfig(AppConfig):
    name = "tests.live.probe"
    label = "live_probe"

    def ready(self):
        from live import topics

        topics.register("probe", lambda user, object_id: True)
