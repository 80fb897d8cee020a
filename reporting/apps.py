from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        from funnel.setup import setup_step_register

        from .services import ratio_watches_setup_defaults

        setup_step_register(ratio_watches_setup_defaults)
