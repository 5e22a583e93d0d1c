"""The demo's editor account: a Wagtail editor of brand pages and news, with no council or
volunteers admin."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from brands.models import BrandPage, NewsPage
from communities.demo import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_demo_editor_edits_news_and_brand_pages_only(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    editor = User.objects.get(email="editor@example.com")
    assert editor.check_password(PASSWORD)
    assert editor.groups.filter(name="Editors").exists()
    assert not editor.is_superuser

    client = Client()
    client.force_login(editor)
    news = NewsPage.objects.live().first()
    brand = BrandPage.objects.live().first()
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert client.get(reverse("wagtailadmin_pages:edit", args=[news.pk])).status_code == 200
    assert client.get(reverse("wagtailadmin_pages:edit", args=[brand.pk])).status_code == 200
    for url in (
        reverse("council_proposal:index"),
        reverse("council_moderation:index"),
        reverse("council_rules:index"),
        reverse("teams_task:index"),
        reverse("teams_team:index"),
    ):
        assert client.get(url).status_code in (302, 403), url
