"""The editorial set-up of the site.

- the brand index (/brands/) and the news index (/news/) under the home page;
- the groups Editors (add, edit, submit for moderation) and Moderators (also publish, lock,
  approve), with their page permissions on the Linli home page instead of the tree root;
- the "News moderation" workflow (one group approval task for Moderators) on the news index, so
  that every news item is submitted and approved before it goes live. Other pages keep Wagtail's
  default "Moderators approval" workflow.
"""

from django.db import migrations

STEPLEN = 4
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page"]
MODERATOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
ADMIN_PERMISSIONS = [
    ("wagtailadmin", "admin", "access_admin"),
    ("wagtailimages", "image", "add_image"),
    ("wagtailimages", "image", "change_image"),
    ("wagtailimages", "image", "choose_image"),
    ("wagtaildocs", "document", "add_document"),
    ("wagtaildocs", "document", "change_document"),
    ("wagtaildocs", "document", "choose_document"),
]


def _encode(number: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits.rjust(STEPLEN, "0")


def _add_child(apps, parent, model_name, *, title, slug, intro):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    model = apps.get_model("brands", model_name)
    existing = model.objects.filter(path__startswith=parent.path, depth=parent.depth + 1).first()
    if existing:
        return existing
    last = (
        Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    number = int(last[-STEPLEN:], 36) + 1 if last else 1
    content_type, _ = ContentType.objects.get_or_create(
        app_label="brands", model=model_name.lower()
    )
    page = model.objects.create(
        title=title,
        draft_title=title,
        slug=slug,
        content_type=content_type,
        locale_id=parent.locale_id,
        path=parent.path + _encode(number),
        depth=parent.depth + 1,
        numchild=0,
        url_path=f"{parent.url_path}{slug}/",
        live=True,
        has_unpublished_changes=False,
        intro=intro,
    )
    Page.objects.filter(pk=parent.pk).update(numchild=parent.numchild + 1)
    parent.numchild += 1
    return page


def _permissions(apps, codenames):
    Permission = apps.get_model("auth.Permission")
    return list(
        Permission.objects.filter(
            content_type__app_label="wagtailcore",
            content_type__model="page",
            codename__in=codenames,
        )
    )


def _admin_permissions(apps):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    found = []
    for app_label, model, codename in ADMIN_PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": codename}
        )
        found.append(permission)
    return found


def set_up(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("brands.HomePage")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    ContentType = apps.get_model("contenttypes.ContentType")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")

    home = HomePage.objects.order_by("path").first()
    if home is None:
        return
    home = Page.objects.get(pk=home.pk)
    _add_child(
        apps,
        home,
        "BrandIndexPage",
        title="品牌项目",
        slug="brands",
        intro="<p>社区志愿服务品牌：谁在做、做了什么、怎样加入。</p>",
    )
    news_index = _add_child(
        apps,
        home,
        "NewsIndexPage",
        title="新闻动态",
        slug="news",
        intro="<p>社区、议事会和志愿服务队的新消息。</p>",
    )

    editors, _ = Group.objects.get_or_create(name="Editors")
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    admin_permissions = _admin_permissions(apps)
    root = Page.objects.filter(depth=1).order_by("path").first()
    for group, codenames in (
        (editors, EDITOR_PAGE_PERMISSIONS),
        (moderators, MODERATOR_PAGE_PERMISSIONS),
    ):
        group.permissions.add(*admin_permissions)
        # Their pages are the Linli site, not the whole tree (no new site roots).
        GroupPagePermission.objects.filter(group=group, page=root).delete()
        for permission in _permissions(apps, codenames):
            GroupPagePermission.objects.get_or_create(group=group, page=home, permission=permission)

    if not Workflow.objects.filter(name="News moderation").exists():
        content_type, _ = ContentType.objects.get_or_create(
            app_label="wagtailcore", model="groupapprovaltask"
        )
        task = GroupApprovalTask.objects.create(
            name="Moderators approve news", content_type=content_type, active=True
        )
        task.groups.set([moderators])
        workflow = Workflow.objects.create(name="News moderation", active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        WorkflowPage.objects.update_or_create(
            page=Page.objects.get(pk=news_index.pk), defaults={"workflow": workflow}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("brands", "0003_pages"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]
    operations = [migrations.RunPython(set_up, migrations.RunPython.noop)]
