"""Order URLs. Staff pages live under /<tenant_slug>/ (every view wrapped in tenant_view);
the client's public status page lives under /s/<token>/ (no account, no tenant in the URL)."""

from django.urls import include, path

from servicedesk.tenancy import converters  # noqa: F401  (registers <tenant:...>)

from . import item_views, personal_data_views, public, setup_views, views

app_name = "orders"

tenant_urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("orders/", views.order_list, name="list"),
    path("orders/new/", views.intake, name="intake"),
    path("orders/new/clients/", views.client_search, name="client_search"),
    path("orders/new/clients/<int:client_id>/", views.client_pick, name="client_pick"),
    path("orders/new/items/", item_views.item_search, name="item_search"),
    path("orders/new/items/<int:item_id>/", item_views.item_pick, name="item_pick"),
    path("orders/<int:order_number>/", views.order_detail, name="detail"),
    path("orders/<int:order_number>/edit/", views.order_edit, name="edit"),
    path("orders/<int:order_number>/do/<slug:action>/", views.order_transition, name="transition"),
    path("orders/<int:order_number>/assign/", views.order_assign, name="assign"),
    path("orders/<int:order_number>/estimate/", views.order_estimate, name="estimate"),
    path("orders/<int:order_number>/lines/", views.line_add, name="line_add"),
    path("orders/<int:order_number>/lines/<int:line_id>/remove/", views.line_remove, name="line_remove"),
    path("orders/<int:order_number>/payments/", views.payment_add, name="payment_add"),
    path("orders/<int:order_number>/notes/", views.note_add, name="note_add"),
    path("orders/<int:order_number>/photos/", views.photo_add, name="photo_add"),
    path("orders/<int:order_number>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("orders/<int:order_number>/link/", views.public_link_replace, name="public_link_replace"),
    path("orders/<int:order_number>/receipt/", views.receipt, name="receipt"),
    path("items/<int:item_id>/", item_views.item_detail, name="item_detail"),
    path("items/<int:item_id>/edit/", item_views.item_edit, name="item_edit"),
    path("clients/", views.client_list, name="client_list"),
    path("clients/<int:client_id>/", views.client_detail, name="client_detail"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="client_edit"),
    path("clients/<int:client_id>/data/", personal_data_views.client_data_report, name="client_data_report"),
    path("clients/<int:client_id>/erase/", personal_data_views.client_erase, name="client_erase"),
    path(
        "clients/data-retention/", personal_data_views.personal_data_settings, name="personal_data_settings"
    ),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/ready-made/", setup_views.add_catalogue, name="add_catalogue"),
    path("setup/dismiss/", setup_views.dismiss, name="setup_dismiss"),
    path("catalogue/new/", views.service_type_edit, name="service_type_new"),
    path("catalogue/<int:service_type_id>/", views.service_type_edit, name="service_type_edit"),
]

urlpatterns = [
    path("s/<str:token>/", public.public_status, name="public_status"),
    path("s/<str:token>/<slug:decision>/", public.public_decide, name="public_decide"),
    path("<tenant:tenant_slug>/", include(tenant_urlpatterns)),
]
