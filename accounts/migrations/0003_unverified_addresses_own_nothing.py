from django.db import migrations, models

import accounts.phones


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_large_text"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="email",
            field=models.EmailField(db_index=True, max_length=254, verbose_name="e-mail address"),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="Mainland numbers may be written without +86.",
                max_length=20,
                null=True,
                validators=[accounts.phones.validate_e164],
                verbose_name="phone number",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                condition=models.Q(("phone_verified", True)),
                fields=("phone",),
                name="accounts_user_unique_verified_phone",
            ),
        ),
    ]
