from typing import Any

from django.apps import AppConfig
from django.template import Context


class TenancyConfig(AppConfig):
    name = "servicedesk.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from django.db import DEFAULT_DB_ALIAS, connections
        from django.db.backends.signals import connection_created

        from servicedesk import pagecache
        from servicedesk.fragments import register_fingerprint

        register_fingerprint("tenancy.nav", nav_values)
        # Every write bumps the data versions that keep cached pages honest (servicedesk/pagecache.py).
        connection_created.connect(pagecache.track_writes, dispatch_uid="pagecache.track_writes")
        pagecache.track_writes(
            None, connections[DEFAULT_DB_ALIAS]
        )  # this thread's connection, if it is already open


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
