"""Remind people of tomorrow's activities; run it every few minutes (cron: site/deploy)."""

from django.core.management.base import BaseCommand

from activities.services import send_reminders


class Command(BaseCommand):
    help = "Remind everyone with a place in an activity that starts within a day (once each)."

    def handle(self, *args, **options):
        sent = send_reminders()
        self.stdout.write(f"{sent} reminder(s) sent")
