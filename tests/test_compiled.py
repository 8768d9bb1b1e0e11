"""servicedesk/compiled.py: querysets compiled once, run with named parameters."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from servicedesk.compiled import CompiledQuery
from servicedesk.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def test_a_compiled_query_runs_with_its_values_and_is_counted(tenant_a, tenant_b):
    query = CompiledQuery(lambda slug: Tenant.objects.filter(slug=slug).values_list("pk", "name"), "-none-")

    with CaptureQueriesContext(connection) as captured:
        assert query.rows(tenant_a.slug) == [(tenant_a.pk, tenant_a.name)]
        assert query.rows(tenant_b.slug) == [(tenant_b.pk, tenant_b.name)]
        assert query.rows("nobody") == []

    assert len(captured.captured_queries) == 3
    _compiler, sql, _params, _positions, _converters = query._compiled[connection.vendor]
    assert "%(p0)s" in sql and "%s" not in sql


def test_literal_percent_signs_stay_literal(tenant_a):
    query = CompiledQuery(
        lambda slug: (
            Tenant.objects.filter(slug=slug).annotate(text=RawSQL("'%%s is 100%%'", [])).values_list("text")
        ),
        "-none-",
    )

    assert query.rows(tenant_a.slug) == [("%s is 100%",)]


def test_a_sentinel_missing_from_the_parameters_is_refused(tenant_a):
    query = CompiledQuery(lambda slug: Tenant.objects.values_list("pk"), "-none-")

    with pytest.raises(ValueError, match="sentinel"):
        query.rows(tenant_a.slug)
