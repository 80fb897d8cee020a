from django.apps import AppConfig


class LeadflowConfig(AppConfig):
    """The project shell as an app: it owns the HTTP kit's idempotency store."""

    name = "leadflow"
    verbose_name = "Leadflow"
