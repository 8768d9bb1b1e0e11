"""Every model change has its migration (a model without one breaks every test that touches its table)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_missing_migrations():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"Models changed without a migration; run `manage.py makemigrations`:\n{out.getvalue()}")


# The data migrations, proven on a database made before them. Walking the migrations back and forth costs
# about a minute of PostgreSQL each way (Django re-renders the model states), so one walk serves all three
# moves: back to a point before each of them, the old rows written through the old models (each move in
# a shop of its own), forward to today, and every move's rows checked through today's models.
BEFORE_THE_DATA_MIGRATIONS = [
    # technicians 0001 held the parts store; stock 0001 takes it over in Django's state only.
    ("technicians", "0001_initial"),
    ("stock", None),
    # documents 0001 held the privacy policy; tenancy 0005 takes it over in Django's state only.
    ("tenancy", "0004_money_rules"),
    ("documents", "0002_alter_documentsettings_signer_basis_and_more"),
    # Order and document numbers had their own counters before orders 0008 / documents 0004 (one counter).
    ("orders", "0007_versioned_estimates"),
]


@pytest.mark.postgres  # production's database; on SQLite each walk rebuilds tables for minutes
@pytest.mark.django_db(transaction=True)
def test_a_database_made_before_the_data_migrations_keeps_its_rows():
    from decimal import Decimal

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_DATA_MIGRATIONS)
    old = executor.loader.project_state(
        [(app, name) for app, name in BEFORE_THE_DATA_MIGRATIONS if name]
    ).apps
    OldTenant = old.get_model("tenancy", "Tenant")

    # The stock move: a database with stock in it before the move.
    stock_shop = OldTenant.objects.create(name="Old stock shop", slug="old-stock-shop", country="RU")
    location_id = old.get_model("tenancy", "Location").objects.create(tenant_id=stock_shop.pk, name="Shop").pk
    part = old.get_model("technicians", "Part").objects.create(
        tenant_id=stock_shop.pk, name="Battery", sku="B-1"
    )
    old.get_model("technicians", "StockLevel").objects.create(
        tenant_id=stock_shop.pk,
        part=part,
        location_id=location_id,
        on_hand=Decimal("4"),
        reserved=Decimal("1"),
    )
    old.get_model("technicians", "StockMovement").objects.create(
        tenant_id=stock_shop.pk,
        part=part,
        location_id=location_id,
        kind="receipt",
        on_hand_delta=Decimal("4"),
    )
    # The privacy move: a policy kept by documents.
    privacy_shop = OldTenant.objects.create(name="Old privacy shop", slug="old-privacy-shop", country="RU")
    old.get_model("documents", "PrivacyPolicy").objects.create(
        tenant_id=privacy_shop.pk,
        version="2025-01",
        language="ru",
        title="Политика",
        text="Мы бережём данные.",
    )
    # The one counter: the last numbers of the old counters.
    numbers_shop = OldTenant.objects.create(name="Old numbers shop", slug="old-numbers-shop", country="RU")
    old.get_model("orders", "OrderCounter").objects.create(tenant_id=numbers_shop.pk, last_number=41)
    old.get_model("documents", "DocumentCounter").objects.create(
        tenant_id=numbers_shop.pk, kind="completion_act", year=2026, last_number=7
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # The stock move: the same rows, readable through the new models.
    from stock.models import Part, StockLevel, StockMovement

    moved = Part.objects.get(sku="B-1")
    assert (moved.name, moved.tenant_id) == ("Battery", stock_shop.pk)
    level = StockLevel.objects.get(part=moved)
    assert (level.on_hand, level.reserved, level.free) == (Decimal("4"), Decimal("1"), Decimal("3"))
    assert StockMovement.objects.filter(part=moved, kind="receipt").count() == 1

    # The privacy move: the policy is tenancy's now.
    from servicedesk.tenancy.models import PrivacyPolicy
    from servicedesk.tenancy.privacy import current_privacy_version

    assert current_privacy_version(privacy_shop.pk) == "2025-01"
    assert PrivacyPolicy.objects.get(tenant_id=privacy_shop.pk).text == "Мы бережём данные."

    # The one counter: order and document numbers go on from the old counters' last numbers, none given twice.
    from documents.services import next_number
    from orders.services import next_order_number
    from servicedesk.tenancy.models import Tenant

    shop = Tenant.objects.get(pk=numbers_shop.pk)
    assert next_order_number(shop) == 42
    assert next_number(shop, "completion_act", 2026) == 8
    assert next_number(shop, "completion_act", 2027) == 1


# Migrations written before indexes had to be built concurrently. Every later migration that adds an index
# uses servicedesk.migration_ops.AddIndexConcurrently and is non-atomic: on PostgreSQL the table stays
# writable while a big table is indexed (docs/deploy.md, "Migrations on big tables").
BEFORE_CONCURRENT_INDEXES = {
    "accounts": {"0001_initial", "0002_user_email_confirmed_at"},
    "documents": {"0001_initial", "0002_alter_documentsettings_signer_basis_and_more"},
    "notifications": {
        "0001_initial",
        "0002_document_kind_and_attachment",
        "0003_low_rating_kind",
        "0004_notification_state_held",
        "0005_ambiguous_sends",
    },
    "orders": {
        "0001_initial",
        "0002_order_orders_priority_idx",
        "0003_order_promised_idx",
        "0004_event_kinds_and_visit_indexes",
        "0005_event_kind_feedback",
        "0006_photo_display_copy",
        "0007_versioned_estimates",
    },
    "quality": {"0001_feedback", "0002_business_hours"},
    "technicians": {"0001_initial"},
    "tenancy": {"0001_initial", "0002_tenant_owner_confirmed_at", "0003_tenant_country", "0004_money_rules"},
}
OUR_APPS = {
    "accounts",
    "tenancy",
    "orders",
    "stock",
    "technicians",
    "notifications",
    "documents",
    "quality",
    "ops",
}


def test_new_indexes_are_built_concurrently():
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import AddIndex, CreateModel, SeparateDatabaseAndState

    from servicedesk.migration_ops import AddIndexConcurrently

    problems = []
    loader = MigrationLoader(None, ignore_no_migrations=True)  # from disk only
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if app not in OUR_APPS or name in BEFORE_CONCURRENT_INDEXES.get(app, set()):
            continue
        # An index on a table made in the same migration blocks nobody.
        new_models = {op.name.lower() for op in migration.operations if isinstance(op, CreateModel)}
        for op in migration.operations:
            if isinstance(op, SeparateDatabaseAndState) or not isinstance(op, AddIndex):
                continue
            if op.model_name.lower() in new_models:
                continue
            if not isinstance(op, AddIndexConcurrently) or migration.atomic:
                problems.append(
                    f"{app}.{name}: index {op.index.name} (use AddIndexConcurrently, atomic = False)"
                )
    assert not problems, problems
