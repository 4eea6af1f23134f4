"""The buttons of a self-service flow (`action:` and `approval:` are this package's; the rest are the engine's)."""

from __future__ import annotations

ACTION, APPROVAL = "action:", "approval:"
YES, CANCEL, ITEM = f"{ACTION}yes", f"{ACTION}cancel", f"{ACTION}item:"
