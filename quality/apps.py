from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        # Quality plugs into orders and documents; neither imports it.
        from documents.variables import Leaf, Seq, register_variables
        from orders.lifecycle import register_guard
        from orders.panels import Panel, register_panel
        from orders.timeline import on_order_event

        from . import checklists, checks, listeners
        from .panels import checklist_panel

        register_guard(checklists.GUARD_KEY, checklists.checklist_guard, prepare=checklists.prepare, shown=True)
        register_guard(checks.GUARD_KEY, checks.independent_check_guard, prepare=checks.prepare)
        on_order_event(listeners.on_event)
        register_panel(Panel("checklist", "quality/_order_panel.html", checklist_panel, position=50))
        register_variables("checklist", Seq(_("The order's checklist answers: {% for answer in checklist %}"), {
            "stage": Leaf(_("The stage, in the document's language: Intake, Diagnostics, Quality check, Handover")),
            "label": Leaf(_("What was checked")),
            "answer": Leaf(_("The answer: Yes / No, the number with its unit, the text, “Photo taken”; “—” if none")),
            "kind": Leaf(_("tick, number, text or photo")),
            "answered": Leaf(_("True when the item is answered")),
            "required": Leaf(_("True for a required item")),
            "photo": Leaf(_("The photo's address for <img src> (empty if none)")),
        }, element="answer"), build=checklists.document_rows, sample=checklists.sample_rows)
