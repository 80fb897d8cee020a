from django.apps import AppConfig


class HandoffConfig(AppConfig):
    """A lead's life: leads, their history, offers, routing, SLA, work, ingest and merge."""

    name = "handoff"
    verbose_name = "Leads and handoffs"

    def ready(self):
        from funnel.setup import setup_step_register

        from .services.setup import handoff_setup_defaults

        setup_step_register(handoff_setup_defaults)

        from .audit import handoff_audit_register

        handoff_audit_register()
