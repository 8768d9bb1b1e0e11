from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        from orders.panels import Panel, register_panel
        from orders.public import register_public_links

        from .panels import documents_panel
        from .public import public_links

        register_panel(Panel("documents", "documents/_panel.html", documents_panel, position=200))
        register_public_links(public_links)
