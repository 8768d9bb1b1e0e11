"""Roles and what each may do: the one place permissions are defined.

Views enforce them with `tenant_view(Perm.X)`; templates show actions with `{% if perms_.X %}`
(see context_processors); the members page prints this matrix for people to read.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    RECEPTION = "reception", _("Reception")
    TECHNICIAN = "technician", _("Technician")


class Perm(StrEnum):
    DASHBOARD = "dashboard"
    TENANT_SETTINGS = "tenant_settings"
    MEMBERS_VIEW = "members_view"
    MEMBERS_MANAGE = "members_manage"
    LOCATIONS_MANAGE = "locations_manage"
    ORDERS_VIEW = "orders_view"
    ORDERS_CREATE = "orders_create"
    ORDERS_PLAN = "orders_plan"
    ORDERS_WORK = "orders_work"
    ORDERS_HANDOVER = "orders_handover"
    ORDERS_CANCEL = "orders_cancel"
    ORDERS_WAIVE_PAYMENT = "orders_waive_payment"
    ORDERS_OVERRIDE_ESTIMATE = "orders_override_estimate"
    CLIENTS_VIEW = "clients_view"
    CATALOGUE_MANAGE = "catalogue_manage"
    STOCK_VIEW = "stock_view"
    STOCK_MANAGE = "stock_manage"
    DOCUMENTS_ISSUE = "documents_issue"
    DOCUMENTS_MANAGE = "documents_manage"
    NOTIFICATIONS_MANAGE = "notifications_manage"
    REPORTS_VIEW = "reports_view"
    STANDARDS_MANAGE = "standards_manage"
    SLA_MANAGE = "sla_manage"
    COMPLAINTS_OPEN = "complaints_open"
    COMPLAINTS_MANAGE = "complaints_manage"
    WARRANTY_OVERRIDE = "warranty_override"
    AUDITS = "audits"
    PERSONAL_DATA = "personal_data"


_ALL = frozenset(Role)
_OFFICE = frozenset({Role.OWNER, Role.MANAGER, Role.RECEPTION})
_MANAGEMENT = frozenset({Role.OWNER, Role.MANAGER})
_WORKSHOP = frozenset({Role.OWNER, Role.MANAGER, Role.TECHNICIAN})

# Perm -> the roles that hold it, with the sentence shown on the members page.
MATRIX: dict[Perm, tuple[frozenset[Role], StrOrPromise]] = {
    Perm.DASHBOARD: (_ALL, _("See the dashboard")),
    Perm.TENANT_SETTINGS: (frozenset({Role.OWNER}), _("Edit the service center's details")),
    Perm.MEMBERS_VIEW: (_MANAGEMENT, _("See staff and invitations")),
    Perm.MEMBERS_MANAGE: (_MANAGEMENT, _("Invite staff, change roles, deactivate")),
    Perm.LOCATIONS_MANAGE: (_MANAGEMENT, _("Manage reception points and workshops")),
    Perm.ORDERS_VIEW: (_ALL, _("See orders")),
    Perm.ORDERS_CREATE: (_OFFICE, _("Take in new orders")),
    Perm.ORDERS_PLAN: (_OFFICE, _("Assign technicians and workshops, schedule work")),
    Perm.ORDERS_WORK: (_WORKSHOP, _("Diagnose, repair, log work, use parts")),
    Perm.ORDERS_HANDOVER: (_OFFICE, _("Take payments and hand orders over")),
    Perm.ORDERS_CANCEL: (_OFFICE, _("Cancel orders")),
    Perm.ORDERS_WAIVE_PAYMENT: (_MANAGEMENT, _("Hand over with money still due")),
    Perm.ORDERS_OVERRIDE_ESTIMATE: (_MANAGEMENT, _("Bill more than the client approved (with a reason)")),
    Perm.CLIENTS_VIEW: (_OFFICE, _("See clients and their contacts")),
    Perm.CATALOGUE_MANAGE: (_MANAGEMENT, _("Edit the service catalogue")),
    Perm.STOCK_VIEW: (_ALL, _("See parts and stock")),
    Perm.STOCK_MANAGE: (_MANAGEMENT, _("Receive, move and correct stock")),
    Perm.DOCUMENTS_ISSUE: (_OFFICE, _("Issue documents")),
    Perm.DOCUMENTS_MANAGE: (_MANAGEMENT, _("Edit document details, templates and the privacy policy")),
    Perm.NOTIFICATIONS_MANAGE: (_MANAGEMENT, _("Edit notification texts, resend")),
    Perm.REPORTS_VIEW: (_MANAGEMENT, _("See reports and SLA dashboards")),
    Perm.STANDARDS_MANAGE: (_MANAGEMENT, _("Set service standards and goals")),
    Perm.SLA_MANAGE: (_MANAGEMENT, _("Set the service-level targets")),
    Perm.COMPLAINTS_OPEN: (_OFFICE, _("Record a client's complaint")),
    Perm.COMPLAINTS_MANAGE: (_MANAGEMENT, _("Handle complaints: assign, resolve, compensate")),
    Perm.WARRANTY_OVERRIDE: (
        _MANAGEMENT,
        _("Accept a warranty claim outside the warranty period (with a reason)"),
    ),
    Perm.AUDITS: (_MANAGEMENT, _("Run internal audits and track their findings")),
    # A client's data report and erasure (orders.personal_data): those who answer for the center's records.
    Perm.PERSONAL_DATA: (_MANAGEMENT, _("Give a client the report of their data, erase it on their request")),
}

# Who may grant which role: managers run the staff but cannot create owners or demote them.
GRANTABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.OWNER: _ALL,
    Role.MANAGER: frozenset({Role.MANAGER, Role.RECEPTION, Role.TECHNICIAN}),
    Role.RECEPTION: frozenset(),
    Role.TECHNICIAN: frozenset(),
}


def has_perm(role: str | Role, perm: Perm) -> bool:
    roles, _label = MATRIX[perm]
    return Role(role) in roles


def perms_for(role: str | Role) -> frozenset[Perm]:
    return frozenset(perm for perm in Perm if has_perm(role, perm))


def can_manage_member(actor_role: str | Role, target_role: str | Role) -> bool:
    """May someone with actor_role change or deactivate a member holding target_role?"""
    return Role(target_role) in GRANTABLE_ROLES[Role(actor_role)]
