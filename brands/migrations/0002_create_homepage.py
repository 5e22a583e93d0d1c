from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("brands.HomePage")
    Locale = apps.get_model("wagtailcore.Locale")

    # Wagtail's own first migration leaves a placeholder page; the Linli home replaces it.
    Page.objects.filter(
        content_type__app_label="wagtailcore", content_type__model="page", depth=2
    ).delete()
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="brands")
    homepage = HomePage.objects.create(
        title="邻里",
        draft_title="邻里",
        slug="home",
        content_type=content_type,
        locale=Locale.objects.order_by("pk").first(),
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        intro="小区议事会与志愿服务队：有困难找志愿者，有时间做志愿者。",
    )
    Site.objects.create(
        hostname="localhost",
        port=80,
        site_name="邻里 Linli",
        root_page=homepage,
        is_default_site=True,
    )


def remove_homepage(apps, schema_editor):
    apps.get_model("brands.HomePage").objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [("brands", "0001_initial")]
    operations = [migrations.RunPython(create_homepage, remove_homepage)]
