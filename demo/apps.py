from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo center. The one place that may import every app: it seeds them in dependency order."""

    name = "demo"
    verbose_name = _("Demo")
