"""The safety layer: every message passes it first, and nothing later can undo what it decides."""

from bot.safety.assess import Assessment, SafetyLayer, Verdict
from bot.safety.kinds import KINDS

__all__ = ["KINDS", "Assessment", "SafetyLayer", "Verdict"]
