"""The funnel's configuration in the audit trail (leadflow.audit): who changed what, old → new.

Registered from FunnelConfig.ready. Only what people configure: leads and their history are
the lead's life and are never recorded here.
"""

from leadflow.audit import audit_register

# A user's record as configuration: who they are and what they may do. Never the password,
# and not last_login (a sign-in is not a change, and must not cost a read).
USER_FIELDS = [
    "username", "email", "first_name", "last_name", "role", "team", "territory", "is_active",
    "is_staff",
]  # fmt: skip


def funnel_audit_register() -> None:
    from .models import (
        Campaign,
        HandoffPair,
        HandoffTarget,
        ReasonCode,
        Stage,
        StageMove,
        Team,
        Territory,
        User,
    )

    for model in (Stage, StageMove, ReasonCode, Campaign, Team, Territory):
        audit_register(model)
    # A version's recording time and recorder are the entry's own when and who.
    audit_register(HandoffTarget, exclude_fields=["created_at", "created_by"])
    # The pair's target_rate is a copy of its target in force; its versions are the record.
    audit_register(HandoffPair, exclude_fields=["target_rate"])
    audit_register(User, include_fields=USER_FIELDS)
