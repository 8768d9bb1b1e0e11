from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        from orders.panels import Panel, register_panel
        from orders.personal_data import register_data_holder
        from orders.public import register_public_links

        from .panels import documents_panel
        from .personal_data import HOLDER
        from .public import public_links

        register_panel(Panel("documents", "documents/_panel.html", documents_panel, position=200))
        register_public_links(public_links)
        register_data_holder(HOLDER)
