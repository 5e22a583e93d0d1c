"""Load the demo data of every app that has one, in INSTALLED_APPS order, in one transaction.

An app takes part by having a `demo` module with `load(*, stdout)`. The apps are found by name,
so this command imports no app above `communities`.
"""

import importlib
import importlib.util

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


def demo_loaders():
    """(app label, load function) for each installed app with a demo module, in order."""
    loaders = []
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.demo"
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        module = importlib.import_module(module_name)
        load = getattr(module, "load", None)
        if callable(load):
            loaders.append((app_config.label, load))
    return loaders


class Command(BaseCommand):
    help = "Load the demo communities, accounts and content (idempotent). Development only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo accounts share a published password.",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo creates accounts with a published password, so it only runs with "
                "DEBUG on. Pass --force to load the demo data anyway."
            )
        loaders = demo_loaders()
        with transaction.atomic():
            for label, load in loaders:
                self.stdout.write(f"Loading demo data: {label}")
                load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({len(loaders)} apps)."))
