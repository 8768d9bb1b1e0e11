from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: request ids and logs, error reporting, the metrics page, data retention.

    A leaf app: it may read every other app's tables (the outbox backlog, old rows to purge); no app
    imports it. Apps count their own events through servicedesk.metrics.
    """

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from celery.signals import task_failure, worker_ready

        from servicedesk.metrics import LOGINS_LOCKED_OUT, TASK_FAILURES

        def count_task_failure(sender=None, **kwargs) -> None:
            TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()

        def count_lockout(**kwargs) -> None:
            LOGINS_LOCKED_OUT.inc()

        def serve_worker_metrics(**kwargs) -> None:
            # A Celery worker has no web server: with CELERY_METRICS_PORT it serves its processes'
            # metrics (task failures, documents rendered) on that port for Prometheus.
            from .metrics import serve_worker_metrics

            serve_worker_metrics()

        task_failure.connect(count_task_failure, weak=False, dispatch_uid="ops.task_failure")
        worker_ready.connect(serve_worker_metrics, weak=False, dispatch_uid="ops.worker_metrics")
        user_locked_out.connect(count_lockout, weak=False, dispatch_uid="ops.user_locked_out")
