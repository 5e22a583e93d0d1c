"""Pluggable SMS senders; settings.SMS_SENDER names the class to use."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ConsoleSmsSender:
    """Logs the message instead of sending it: the default for development and tests."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, phone: str, message: str) -> None:
        self.outbox.append((phone, message))
        logger.info("SMS to %s: %s", phone, message)


def get_sms_sender():
    return import_string(settings.SMS_SENDER)()


def send_sms(*, phone: str, message: str) -> None:
    get_sms_sender().send(phone=phone, message=message)
