"""Background work of the council (django-tasks): e-mails to the followers of a proposal.

settings.TASKS chooses the backend: the immediate backend in development and tests, the
database backend (django_tasks_db, `manage.py db_worker`) in production. Services enqueue after
the transaction commits, so a rolled-back change sends nothing.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.utils import translation
from django.utils.translation import gettext
from django_tasks import task

logger = logging.getLogger(__name__)


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    return f"{base}{url}"


@task()
def send_notice_emails(*, user_ids: list[int], subject: str, text: str, url: str) -> int:
    """One plain-text e-mail per active follower with an address. Returns how many were sent."""
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email="")
    with translation.override(settings.LANGUAGE_CODE):
        full_subject = gettext("[Linli] %(subject)s") % {"subject": subject}
        footer = gettext(
            "You receive this because you follow this proposal. "
            "Unfollow it on its page to stop these messages."
        )
    body = f"{text}\n\n{absolute(url)}\n\n--\n{footer}\n"
    messages = [EmailMessage(subject=full_subject, body=body, to=[user.email]) for user in users]
    if not messages:
        return 0
    return get_connection(fail_silently=False).send_messages(messages) or 0
