from django.db import migrations, models
from django.db.models import F


def existing_users_are_confirmed(apps, schema_editor):
    # Everyone who exists before the confirmation rule came in keeps working as before.
    apps.get_model("accounts", "User").objects.filter(email_confirmed_at__isnull=True).update(
        email_confirmed_at=F("date_joined")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='email_confirmed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='e-mail confirmed'),
        ),
        migrations.RunPython(existing_users_are_confirmed, migrations.RunPython.noop),
    ]
