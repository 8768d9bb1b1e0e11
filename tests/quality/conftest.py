import pytest


@pytest.fixture(autouse=True)
def _tasks_in_process(celery_eager):
    """Every test here runs Celery tasks in-process (see celery_eager in tests/conftest.py)."""
