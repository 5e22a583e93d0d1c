"""The Wagtail admin speaks each staff member's own language (their account's preferred
language), whatever the browser asks for: Wagtail's own strings and our apps' menus alike."""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from wagtail.admin.localization import get_available_admin_languages
from wagtail.users.models import UserProfile

from accounts.models import User
from communities.models import Community, Membership
from communities.services import sync_staff_access

pytestmark = pytest.mark.django_db

# (English label, its Chinese) of our admin menu items and viewsets.
MENU = [
    ("Council", "议事会"),
    ("Proposals", "议题"),
    ("Moderation queue", "待审核内容"),
    ("Council rules", "议事会规则"),
    ("Volunteers", "志愿者"),
    ("Requests for help", "求助"),
]


def shows(html: str, label: str) -> bool:
    """The label as page text, or inside the sidebar's JSON props (where Chinese is escaped)."""
    escaped = json.dumps(label)[1:-1]
    return any(
        f"{q}{x}{q2}" in html for x in (label, escaped) for q, q2 in (('"', '"'), (">", "<"))
    )


def staff_member(email, language):
    community = Community.objects.get_or_create(name="Yuling", kind="community")[0]
    user = User.objects.create_user(email=email, password="pw-123456", display_name=email[:5])
    Membership.objects.create(user=user, community=community, role="staff", status="verified")
    sync_staff_access(user)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


def admin_html(user, path, browser_language):
    client = Client(HTTP_ACCEPT_LANGUAGE=browser_language)
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def test_both_languages_are_permitted_in_the_admin():
    codes = [code for code, _name in get_available_admin_languages()]
    assert "zh-hans" in codes and "en" in codes
    assert settings.WAGTAILADMIN_PERMITTED_LANGUAGES == settings.LANGUAGES


def test_admin_menu_follows_a_chinese_preference_in_an_english_browser():
    user = staff_member("chinese@example.com", "zh-hans")
    html = admin_html(user, reverse("wagtailadmin_home"), "en")
    assert 'lang="zh-hans"' in html
    for english, chinese in MENU:
        assert shows(html, chinese), english
        assert not shows(html, english), english
    assert "<title>控制面板" in html  # Wagtail's own "Dashboard"
    html = admin_html(user, reverse("council_proposal:index"), "en")
    assert "议题" in html and "Proposals" not in html


def test_admin_menu_follows_an_english_preference_in_a_chinese_browser():
    user = staff_member("english@example.com", "en")
    html = admin_html(user, reverse("wagtailadmin_home"), "zh-hans")
    assert 'lang="en"' in html
    for english, _chinese in MENU:
        assert shows(html, english), english
    assert "<title>Dashboard" in html
    html = admin_html(user, reverse("council_proposal:index"), "zh-hans")
    assert "Proposals" in html and "议题" not in html
    html = admin_html(user, reverse("teams_need:index"), "zh-hans")
    assert "Requests for help" in html and "Filed for a resident" in html


def test_without_a_preference_the_admin_follows_the_browser():
    user = staff_member("nopref@example.com", "")
    assert 'lang="en"' in admin_html(user, reverse("wagtailadmin_home"), "en")
    assert 'lang="zh-hans"' in admin_html(user, reverse("wagtailadmin_home"), "zh-hans")


def test_a_staff_member_can_choose_the_admin_language():
    user = staff_member("chooser@example.com", "zh-hans")
    html = admin_html(user, reverse("wagtailadmin_account"), "zh-hans")
    assert 'value="en"' in html and 'value="zh-hans"' in html
