"""Webhook subscriptions in the audit trail (leadflow.audit); registered from
IntegrationsConfig.ready. Events and deliveries are traffic, not configuration."""

from leadflow.audit import audit_register


def integrations_audit_register() -> None:
    from .models import WebhookSubscription

    # The signing secret is shown once and never kept anywhere else: not even masked.
    audit_register(WebhookSubscription, exclude_fields=["secret"])
