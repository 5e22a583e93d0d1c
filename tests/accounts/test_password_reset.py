import re

import pytest
from django.core import mail

from .helpers import login, signed_in_user_id

pytestmark = pytest.mark.django_db


def test_password_reset_mail_is_sent_and_the_link_sets_a_new_password(client, resident):
    page = client.get("/accounts/password/reset/")
    assert page.status_code == 200
    response = client.post("/accounts/password/reset/", {"email": "resident@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert client.get(response["Location"]).status_code == 200

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["resident@example.com"]
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body

    response = client.get(link.group(1))
    assert response.status_code == 302  # allauth moves the key out of the URL
    form_url = response["Location"]
    page = client.get(form_url)
    assert page.status_code == 200
    assert 'name="password1"' in page.content.decode()

    new_password = "river-bank-walk-77"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    login(client, "13800138000", new_password)
    assert signed_in_user_id(client) == resident.pk


def test_password_reset_for_unknown_address_sends_no_reset_link(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert all("/password/reset/key/" not in m.body for m in mail.outbox)


def test_malformed_reset_key_is_not_a_server_error(client, db):
    response = client.get("/accounts/password/reset/key/zz-not-a-key/")
    assert response.status_code in (200, 302, 404)
