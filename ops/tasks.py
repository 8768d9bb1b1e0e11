from celery import shared_task

from . import retention


@shared_task(name="ops.purge_old_data", ignore_result=True, soft_time_limit=1800, time_limit=1900)
def purge_old_data() -> dict[str, int]:
    return retention.purge_old_data()
