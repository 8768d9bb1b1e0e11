from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        # Quality plugs into orders and documents; neither imports it.
        from django.urls import reverse

        from documents import variables
        from documents.variables import Leaf, Seq, register_variables
        from orders import items, visits
        from orders.lifecycle import register_guard
        from orders.models import Order
        from orders.panels import Panel, register_panel
        from orders.personal_data import register_data_holder
        from orders.timeline import on_order_event
        from reception.targets import register_wait_targets
        from servicedesk.tenancy.landing import register_landing

        from . import checklists, checks, listeners
        from . import personal_data as quality_data
        from .clocks import on_order_event as sla_listener
        from .dashboard import managers_landing
        from .hours import visit_hours_warning
        from .panels import aftersales_panel, checklist_panel, job_card_checklist
        from .rollups import on_order_event as keep_rollups_current
        from .sla_panel import sla_panel
        from .standards import reception_wait_targets
        from .warranty import warranty_path

        # Managers and owners land on the managers' dashboard after log-in, once the center has history.
        register_landing(managers_landing)
        register_guard(
            checklists.GUARD_KEY, checklists.checklist_guard, prepare=checklists.prepare, shown=True
        )
        register_guard(checks.GUARD_KEY, checks.independent_check_guard, prepare=checks.prepare)
        on_order_event(listeners.on_event)
        register_data_holder(quality_data.HOLDER)
        # SLA clocks and the dashboard's daily rollups follow every order event, in its transaction.
        on_order_event(sla_listener)
        on_order_event(keep_rollups_current)
        register_panel(Panel("sla", "quality/_sla_panel.html", sla_panel, position=100, column="side"))
        # The reception board measures each wait against the center's "reception wait" standard.
        register_wait_targets(reception_wait_targets)
        register_panel(Panel("checklist", "quality/_order_panel.html", checklist_panel, position=50))
        register_panel(
            Panel("job_checklist", "quality/_job_checklist.html", job_card_checklist, column="job_card")
        )
        register_variables(
            "checklist",
            Seq(
                _("The order's checklist answers: {% for answer in checklist %}"),
                {
                    "stage": Leaf(
                        _(
                            "The stage, in the document's language: Intake, Diagnostics, Quality check, Handover"
                        )
                    ),
                    "label": Leaf(_("What was checked")),
                    "answer": Leaf(
                        _(
                            "The answer: Yes / No, the number with its unit, the text, “Photo taken”; “—” if none"
                        )
                    ),
                    "kind": Leaf(_("tick, number, text or photo")),
                    "answered": Leaf(_("True when the item is answered")),
                    "required": Leaf(_("True for a required item")),
                    "photo": Leaf(_("The photo's address for <img src> (empty if none)")),
                },
                element="answer",
            ),
            build=checklists.document_rows,
            sample=checklists.sample_rows,
        )
        # After-sales: the warranty and complaints panel, the warranty card's QR code (documents) and the
        # device pages' warranty claim link (orders).
        register_panel(Panel("aftersales", "quality/_panel.html", aftersales_panel, position=400))
        variables.warranty_page_path = warranty_path

        def claim_url(order: Order) -> str:
            return reverse("quality:claim_new", args=[order.tenant.slug, order.number]) + "?source=device"

        items.warranty_claim_url = claim_url
        # A visit booked outside the location's business hours is a warning to confirm (orders.visits).
        visits.register_hours_check(visit_hours_warning)
