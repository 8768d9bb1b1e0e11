from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        from orders.panels import Panel, register_panel

        from .panels import documents_panel

        register_panel(Panel("documents", "documents/_panel.html", documents_panel, position=200))
