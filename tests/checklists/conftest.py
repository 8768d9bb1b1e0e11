"""Checklists and the quality check (quality/checklists.py, quality/checks.py). Kept out of tests/quality/,
whose tests all run again at every hard instant of .ci/run's clock step: nothing here depends on the date."""

import pytest


@pytest.fixture(autouse=True)
def _tasks_in_process(celery_eager):
    """Celery tasks (notifications of the status changes) run in-process, as in tests/quality."""


@pytest.fixture
def shop(tenant_a, users_a, location_a, settings, tmp_path):
    """Tenant A with a phone-repair checklist and its staff (tests/checklists/checklist_kit.py)."""
    from .checklist_kit import make_shop

    settings.MEDIA_ROOT = tmp_path / "media"
    return make_shop(tenant_a, users_a, location_a)
