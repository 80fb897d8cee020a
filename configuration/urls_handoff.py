"""/settings/ parts of handoffs, routing, scoring and integrations."""

from django.urls import path

from .views import (
    handoff_routing,
    handoff_scoring,
    handoff_targets,
    handoff_tokens,
    handoff_webhooks,
)

urlpatterns: list = [
    path("settings/handoffs/", handoff_targets.handoffs, name="handoffs"),
    path(
        "settings/handoffs/<slug:key>/target/",
        handoff_targets.handoff_target,
        name="handoff-target",
    ),
    path("settings/scoring/", handoff_scoring.scoring, name="scoring"),
    path("settings/scoring/<int:pk>/", handoff_scoring.scoring_rule, name="scoring-rule"),
    path(
        "settings/scoring/<int:pk>/delete/",
        handoff_scoring.scoring_rule_remove,
        name="scoring-rule-delete",
    ),
    path("settings/routing/", handoff_routing.routing, name="routing"),
    path("settings/routing/new/", handoff_routing.routing_rule_new, name="routing-rule-new"),
    path("settings/routing/try/", handoff_routing.routing_try, name="routing-try"),
    path("settings/routing/<int:pk>/", handoff_routing.routing_rule_edit, name="routing-rule"),
    path(
        "settings/routing/<int:pk>/move/",
        handoff_routing.routing_rule_reorder,
        name="routing-rule-move",
    ),
    path("settings/tokens/", handoff_tokens.tokens, name="tokens"),
    path("settings/tokens/<int:user_id>/new/", handoff_tokens.token_create, name="token-create"),
    path(
        "settings/tokens/<int:user_id>/revoke/",
        handoff_tokens.token_remove,
        name="token-revoke",
    ),
    path("settings/webhooks/", handoff_webhooks.webhooks, name="webhooks"),
    path("settings/webhooks/<int:pk>/", handoff_webhooks.webhook, name="webhook"),
    path(
        "settings/webhooks/<int:pk>/rotate-secret/",
        handoff_webhooks.webhook_rotate,
        name="webhook-rotate",
    ),
    path(
        "settings/webhooks/<int:pk>/delete/",
        handoff_webhooks.webhook_remove,
        name="webhook-delete",
    ),
]
