"""The kinds of danger the layer tells apart: each needs a different first answer."""

from __future__ import annotations

# violence now or about to happen; a threat to kill; locked in or kept from leaving; taken
# abroad or married off soon; suicidal thoughts or self-harm; run away or nowhere safe to sleep.
KINDS = ("violence", "threat", "locked_in", "taken_abroad", "suicide", "runaway")
NONE = "none"
# The classifier's classes: "none" first, then the kinds.
CLASSES = (NONE, *KINDS)
