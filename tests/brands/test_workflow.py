"""Editors' workflow: groups and permissions, news moderation, scheduling, revisions, preview."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page, WorkflowState

from brands.models import NewsPage

from .test_pages import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(make_user):
    user = make_user()
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def moderator(make_user):
    user = make_user()
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def page_permissions(group_name):
    return set(
        GroupPagePermission.objects.filter(group__name=group_name).values_list(
            "page__url_path", "permission__codename"
        )
    )


def test_groups_have_fitting_permissions_on_the_site():
    assert page_permissions("Editors") == {("/home/", "add_page"), ("/home/", "change_page")}
    assert page_permissions("Moderators") == {
        ("/home/", codename)
        for codename in ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
    }
    for name in ("Editors", "Moderators"):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert {"access_admin", "add_image", "choose_image", "add_document"} <= codenames


def test_editor_cannot_publish_moderator_can(editor, moderator, make_news, make_brand):
    news = make_news("议事会")
    brand = make_brand("四叶草")
    for page in (news, brand):
        editor_perms = page.permissions_for_user(editor)
        assert editor_perms.can_edit() and not editor_perms.can_publish()
        moderator_perms = page.permissions_for_user(moderator)
        assert moderator_perms.can_edit() and moderator_perms.can_publish()
    assert not news.get_parent().permissions_for_user(editor).can_publish_subpage()
    assert news.get_parent().permissions_for_user(moderator).can_publish_subpage()


def test_editor_publish_attempt_leaves_the_live_page_alone(client, editor, make_news):
    news = make_news("旧标题")
    client.force_login(editor)
    data = form_data(NewsPage, news) | {"title": "新标题", "action-publish": "1"}
    client.post(reverse("wagtailadmin_pages:edit", args=[news.pk]), data)
    news.refresh_from_db()
    assert news.title == "旧标题"  # the live title
    assert news.get_latest_revision_as_object().title == "新标题"  # kept as a draft


def test_news_goes_through_moderation(client, editor, moderator, news_index):
    assert news_index.get_workflow().name == "News moderation"
    client.force_login(editor)
    data = form_data(NewsPage) | {"action-submit": "1"}
    response = client.post(
        reverse("wagtailadmin_pages:add", args=["brands", "newspage", news_index.pk]), data
    )
    assert response.status_code == 302
    news = NewsPage.objects.get(slug="page-newspage")
    assert not news.live
    state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(news.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == "News moderation"
    task_state = state.current_task_state

    # The editor may not approve their own submission.
    approve = reverse(
        "wagtailadmin_pages:workflow_action", args=[news.pk, "approve", task_state.pk]
    )
    client.post(approve, {"comment": ""})
    news.refresh_from_db()
    assert not news.live

    client.force_login(moderator)
    response = client.post(approve, {"comment": "可以发布"})
    assert response.status_code in (200, 302)
    news.refresh_from_db()
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    assert news.live


def test_brand_pages_keep_the_default_workflow(make_brand):
    brand = make_brand()
    assert brand.get_workflow().name == "Moderators approval"


def test_scheduled_publishing(moderator, make_news):
    news = make_news("定时发布")
    news.title = "明天的新闻"
    news.go_live_at = timezone.now() + timedelta(days=1)
    revision = news.save_revision(user=moderator, approved_go_live_at=news.go_live_at)
    revision.publish(user=moderator)
    news = Page.objects.get(pk=news.pk).specific
    assert news.title == "定时发布"  # not yet
    assert news.scheduled_revision == revision

    # Let a day pass: the scheduled time (on the revision and in its content) is now behind us.
    past = timezone.now() - timedelta(minutes=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])
    call_command("publish_scheduled")
    news = Page.objects.get(pk=news.pk).specific
    assert news.title == "明天的新闻"
    assert news.live


def test_revisions_are_kept_and_can_be_read(make_news):
    news = make_news("第一版")
    news.title = "第二版"
    news.save_revision().publish()
    news.title = "第三版草稿"
    news.save_revision()
    titles = [r.as_object().title for r in news.revisions.order_by("created_at", "id")]
    assert titles == ["第一版", "第二版", "第三版草稿"]
    assert Page.objects.get(pk=news.pk).title == "第二版"
    assert news.get_latest_revision().as_object().title == "第三版草稿"


def test_preview_renders_unsaved_changes(client, moderator, make_news):
    news = make_news("已发布标题")
    client.force_login(moderator)
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[news.pk])
    data = form_data(NewsPage, news) | {"title": "预览中的标题", "intro": "预览简介"}
    response = client.post(url, data)
    assert response.json() == {"is_valid": True, "is_available": True}
    html = client.get(url).content.decode()
    assert "预览中的标题" in html and "预览简介" in html
    assert Page.objects.get(pk=news.pk).title == "已发布标题"


def test_dashboard_and_page_editor_load_for_an_editor(client, editor, make_news):
    news = make_news()
    client.force_login(editor)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert client.get(reverse("wagtailadmin_pages:edit", args=[news.pk])).status_code == 200
