from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        # Registrations for the apps below this one (docs/architecture.md, "Layers"): the order page's panel,
        # the warranty card's QR code (documents) and the device pages' warranty claim link (orders).
        from django.urls import reverse

        from documents import variables
        from orders import items
        from orders.models import Order
        from orders.panels import Panel, register_panel

        from .panels import aftersales_panel
        from .warranty import warranty_path

        register_panel(Panel("aftersales", "quality/_panel.html", aftersales_panel, position=400))
        variables.warranty_page_path = warranty_path

        def claim_url(order: Order) -> str:
            return reverse("quality:claim_new", args=[order.tenant.slug, order.number]) + "?source=device"

        items.warranty_claim_url = claim_url
