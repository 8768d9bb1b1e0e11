from typing import Any

from django.apps import AppConfig
from django.template import Context


class TenancyConfig(AppConfig):
    name = "servicedesk.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from servicedesk.fragments import register_fingerprint

        register_fingerprint("tenancy.nav", nav_values)


def nav_values(_none: Any, context: Context) -> tuple:
    """Everything the main menu (templates/_partials/nav_items.html, cached) shows or decides on: the center's
    address, the member's role (the menu's entries follow the role's permissions, a constant of the code) and
    the page (its active entry)."""
    match = getattr(context.get("request"), "resolver_match", None)
    return (
        context["tenant"].slug,
        context["membership"].role,
        match.view_name if match else None,
        match.app_name if match else None,
    )
