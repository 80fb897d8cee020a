"""The handoffs' configuration in the audit trail (leadflow.audit); registered from
HandoffConfig.ready.

Scoring and routing rules, reps' routing settings, SLA agreements and their ladders. Leads,
offers, stage history, timers and touches are the lead's life and are never recorded: they are
the hot paths, and they keep their own history.
"""

from leadflow.audit import audit_register


def handoff_audit_register() -> None:
    from .models import RepProfile, RoutingRule, ScoringRule, SlaAgreement, SlaStep

    for model in (ScoringRule, RepProfile, SlaAgreement, SlaStep):
        audit_register(model)
    # virtual_time is the round-robin's clock, moved on every pick: not a change of the rule.
    audit_register(RoutingRule, exclude_fields=["virtual_time"], m2m_fields={"campaigns"})
