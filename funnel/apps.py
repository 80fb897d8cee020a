from django.apps import AppConfig


class FunnelConfig(AppConfig):
    name = "funnel"
    verbose_name = "Funnel"

    def ready(self):
        from .audit import funnel_audit_register

        funnel_audit_register()
