"""The safety layer: every message passes it first, and nothing later can undo what it decides."""

from bot.conversation.safety.assess import Assessment, SafetyLayer, Verdict
from bot.conversation.safety.kinds import KINDS

__all__ = ["KINDS", "Assessment", "SafetyLayer", "Verdict"]
