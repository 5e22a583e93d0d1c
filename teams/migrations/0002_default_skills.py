"""The skills of the design (slugs are what clients rely on); names in Chinese, editable in the admin."""

from django.db import migrations

SKILLS = [
    ("sanitation", "环境卫生"),
    ("greening", "绿化养护"),
    ("elderly-care", "助老服务"),
    ("child-care", "儿童看护"),
    ("counselling", "心理疏导"),
    ("repairs", "维修服务"),
    ("fire-safety", "消防安全"),
    ("traffic", "交通劝导"),
    ("legal-aid", "法律援助"),
    ("water-rescue", "水上搜救"),
    ("emergency-response", "应急救援"),
]


def add_skills(apps, schema_editor):
    Skill = apps.get_model("teams", "Skill")
    for slug, name in SKILLS:
        Skill.objects.get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial")]

    operations = [migrations.RunPython(add_skills, migrations.RunPython.noop)]
