"""Which action moves a record from which status to which: pure, no I/O."""

from __future__ import annotations

STATUSES = ("draft", "submitted", "unit_approved", "registered", "returned", "withdrawn", "revoked", "superseded")

# Statuses whose hours are waiting for a decision (shown as pending, never counted).
PENDING = frozenset({"submitted", "unit_approved"})

# Statuses in which the owner may still change the content.
EDITABLE = frozenset({"draft", "returned"})

# action -> {from status: to status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "edit": {"draft": "draft", "returned": "returned"},
    "submit": {"draft": "submitted", "returned": "submitted"},
    # Withdrawing is for the owner before any reviewer has approved it.
    "withdraw": {"draft": "withdrawn", "submitted": "withdrawn", "returned": "withdrawn"},
}

ACTION_ZH = {"create": "创建", "edit": "修改", "submit": "提交", "withdraw": "撤回", "supersede": "被官方记录取代",
             "restore": "恢复（官方记录被退回）"}


class TransitionRefused(Exception):
    """The action is not possible from the record's current status."""


def next_status(current: str, action: str) -> str:
    """The status after `action`, or TransitionRefused saying why not."""
    moves = TRANSITIONS.get(action)
    if moves is None:
        raise TransitionRefused(f"unknown action {action!r}")
    if current not in moves:
        allowed = ", ".join(sorted(moves))
        raise TransitionRefused(f"cannot {action} a record that is {current} (only when {allowed})")
    return moves[current]
