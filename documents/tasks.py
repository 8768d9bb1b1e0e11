"""Celery tasks of the documents app: issuing documents for a batch of orders.

Every task carries tenant_id and scopes its queries by it again. E-mailing a document to the client
goes through the notifications outbox (services.email_to_client), not a task of its own.
"""

from __future__ import annotations

import logging

from celery import shared_task

from .services import issue_batch

logger = logging.getLogger(__name__)


# A batch is at most 200 documents of ~0.3-0.5 s each. At the soft limit issue_batch stops and reports
# the orders it did not reach; the hard limit kills a child stuck inside WeasyPrint (acked as failed,
# not redelivered, so a poisonous batch does not come back).
BATCH_SOFT_TIME_LIMIT = 240
BATCH_TIME_LIMIT = 300


@shared_task(
    acks_late=True, max_retries=0, soft_time_limit=BATCH_SOFT_TIME_LIMIT, time_limit=BATCH_TIME_LIMIT
)
def issue_documents_task(
    tenant_id: int, order_numbers: list[int], kind: str, language: str, membership_id: int
) -> dict:
    result = issue_batch(tenant_id, order_numbers, kind, language, membership_id)
    logger.info(
        "Batch of %s for tenant %s: %s issued, %s refused",
        kind,
        tenant_id,
        len(result.issued),
        len(result.refused),
    )
    return {"issued": result.issued, "refused": {str(k): v for k, v in result.refused.items()}}
