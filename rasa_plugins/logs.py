"""Keep what people write out of Rasa's logs.

Rasa 3.6 logs the message text with some events, e.g. `rest.message.received.failure`
(rasa/core/channels/rest.py:175-178) when a turn raises, at ERROR level. Its own anonymiser
(rasa/utils/log_utils.py `_anonymizer`) needs Rasa Pro; this processor blanks the same keys.
The traceback of such an event is rendered by structlog's `dict_tracebacks` *with every
frame's local variables* (the message text among them): it becomes a plain traceback here.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import structlog

# The keys Rasa's `_anonymizer` lists as carrying conversation content.
CONTENT_KEYS = frozenset(
    {
        "text",
        "response_text",
        "user_text",
        "slot_values",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
    }
)
HIDDEN = "[hidden]"


def hide_content(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: replace every content-bearing value by a placeholder."""
    for key in CONTENT_KEYS.intersection(event_dict):
        event_dict[key] = HIDDEN
    exc_info = event_dict.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[0] is not None:
        # The standard traceback: files, lines and the error, no local variables.
        event_dict["exception"] = "".join(traceback.format_exception(*exc_info))
    return event_dict


def install() -> None:
    """Put `hide_content` first in Rasa's structlog pipeline (once; idempotent).

    Called when Rasa imports the store plugins, which is after `rasa run` configured structlog.
    """
    processors = list(structlog.get_config().get("processors", []))
    if hide_content in processors:
        return
    structlog.configure(processors=[hide_content, *processors])
