import pytest


@pytest.fixture(autouse=True)
def celery_eager():
    """Tasks (the low-rating alert's delivery) run in-process here, also in the PostgreSQL + Redis run."""
    from servicedesk.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before
