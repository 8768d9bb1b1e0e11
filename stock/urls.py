"""URLs of the parts store, mounted under /<tenant_slug>/ (every view is wrapped in tenant_view)."""

from django.urls import path

from . import views

app_name = "stock"

urlpatterns = [
    path("stock/", views.stock_list, name="stock"),
    path("stock/low/", views.low_stock, name="low_stock"),
    path("stock/movements/", views.movements, name="movements"),
    path("stock/receive/", views.receive, name="receive"),
    path("stock/transfer/", views.transfer, name="transfer"),
    path("stock/correct/", views.correct, name="correct"),
    path("parts/", views.part_list, name="parts"),
    path("parts/new/", views.part_edit, name="part_new"),
    path("parts/<int:part_id>/", views.part_detail, name="part"),
    path("parts/<int:part_id>/edit/", views.part_edit, name="part_edit"),
    path("parts/<int:part_id>/minimum/", views.part_min_level, name="part_min_level"),
]
