from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "servicedesk.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"
