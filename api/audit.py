"""The audit log's writer lives in servicedesk/tenancy/audit.py (every app records there); api's services
(exports, imports, API keys, webhooks) keep calling it as `audit.record` through this name."""

from __future__ import annotations

from servicedesk.tenancy.audit import Action, changes, record, snapshot

__all__ = ["Action", "changes", "record", "snapshot"]
