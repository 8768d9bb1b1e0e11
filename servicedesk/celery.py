"""The Celery app. Workers: celery -A servicedesk worker; beat: celery -A servicedesk beat."""

import functools
import inspect
import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A task whose first parameter is `tenant_id` (deliveries, imports, exports, a center's clocks) writes as that
# center's: its writes bump that center's page versions only (servicedesk/pagecache.py), not every center's.
_scopes: dict[str, object] = {}


@functools.cache
def _takes_tenant_first(task_name: str) -> bool:
    task = app.tasks.get(task_name)
    if task is None:
        return False
    parameters = list(inspect.signature(task.run).parameters)
    return bool(parameters) and parameters[0] == "tenant_id"


@task_prerun.connect
def _enter_tenant_scope(
    task_id: str, task: Any, args: tuple = (), kwargs: dict | None = None, **_: Any
) -> None:
    from servicedesk.pagecache import current_tenant_id

    tenant_id = (kwargs or {}).get("tenant_id")
    if tenant_id is None and args and _takes_tenant_first(task.name):
        tenant_id = args[0]
    if isinstance(tenant_id, int):
        _scopes[task_id] = current_tenant_id.set(tenant_id)


@task_postrun.connect
def _leave_tenant_scope(task_id: str, **_: Any) -> None:
    from servicedesk.pagecache import current_tenant_id

    token = _scopes.pop(task_id, None)
    if token is not None:
        try:
            current_tenant_id.reset(token)  # type: ignore[arg-type]
        except ValueError:  # set in another context (a pool that moved the task): leave no scope behind
            current_tenant_id.set(None)
