"""Top-level URLs. Fixed words come first; everything under /<tenant_slug>/ belongs to one tenant.

Slugs that would shadow a fixed word are refused at sign-up (settings.RESERVED_TENANT_SLUGS), and `<tenant:...>`
(servicedesk/tenancy/converters.py) matches none of them, so the fixed words' pages never try the tenant patterns.
"""

from django.contrib import admin
from django.urls import include, path

from servicedesk import health
from servicedesk.tenancy import converters  # noqa: F401  (registers <tenant:...>)
from servicedesk.tenancy import views as tenancy_views

tenant_patterns = [
    path("", include("servicedesk.tenancy.urls")),
    path("", include("technicians.urls")),
    path("", include("stock.urls")),
    path("", include("documents.urls")),
    path("", include("notifications.urls")),
    path("", include("api.center_urls")),
    path("", include("api.webhook_urls")),
    path("", include("api.export_urls")),
    path("", include("api.import_urls")),
    path("", include("api.full_export_urls")),
    path("", include("api.audit_urls")),
]

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("ops.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("servicedesk.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),  # the REST API: JSON, API keys (api/, docs/integrations.md)
    # Orders, quality and reception mount their own tenant prefix, beside the client's public pages
    # (/s/<token>/, /q/<token>/; quality first: /s/<token>/feedback/ must not be taken for an estimate decision).
    path("", include("quality.urls")),
    path("", include("reception.urls")),
    path("", include("documents.public_urls")),  # /s/<token>/documents/<kind>/: before orders' /s/<token>/...
    path("", include("orders.urls")),
    path("<tenant:tenant_slug>/", include(tenant_patterns)),
]
