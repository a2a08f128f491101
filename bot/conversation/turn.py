"""One turn of a conversation: safety -> language -> redaction -> handoff? -> Rasa -> replies.

The safety layer (bot/conversation/safety/) reads every message first and its answer opens the
replies; no later step removes it. The safety layer and language detection read the message as
written, in memory; whatever is stored (Rasa's tracker, a handoff transcript) gets the redacted
text (bot/conversation/redaction.py), and the person is told once in that turn what was hidden.

When Rasa's reply carries the handoff signal (its action paused the bot), the turn queues the
conversation. While a handoff is queued or active the bot is silent: the person's text goes to
the handoff's transcript for the staff member, never to Rasa, and Rasa's tracker holds a `pause`
until the handoff ends (then a `resume`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field, replace

from redis.exceptions import RedisError

from bot.conversation.language import LanguageDetector
from bot.conversation.rasa_client import BotTurn, RasaClient, RasaUnavailable
from bot.conversation.redaction import Redaction, Redactor
from bot.conversation.replies import Button, Reply
from bot.conversation.safety import Assessment, SafetyLayer, Verdict
from bot.conversation.safety.assess import NOTHING
from bot.conversation.sessions import Session, SessionStore
from bot.conversation.texts import Texts, first_sentence
from bot.errors import ApiError
from bot.handoff.events import HandoffChanged
from bot.handoff.service import Handoffs
from bot.handoff.states import OPEN_STATES, HandoffState
from registry import Resolver
from registry.model import LINE_AUDIENCES

logger = logging.getLogger(__name__)

# Button payloads the widget sends back: "/intent_name", and one entity form only: the SCB code
# of the municipality a person picked when a place name fitted several (action_find_centre).
# Payloads a person's message may be (buttons): an intent, a municipality's code, or whom a
# support line should fit.
_PAYLOAD = re.compile(
    r'^/[a-z_]{1,64}$|^/inform_municipality\{"municipality":"\d{4}"\}$'
    rf'|^/which_line\{{"audience":"({"|".join(LINE_AUDIENCES)})"\}}$'
)
DANGER_INTENT = "/immediate_danger"  # also the "Yes" under "Are you in danger right now?"
NO_DANGER_PAYLOAD = "/no_danger"  # the "No" under it: answered here, never sent to Rasa
NOT_UNDERSTOOD_INTENT = "/nlu_fallback"
EMERGENCY_NUMBER = "112"
# Which reply tells the person what was hidden (bot/texts/<code>.yml); several kinds: a general one.
_REDACTED_REPLY = {
    "personnummer": "redacted_id_number",
    "samordningsnummer": "redacted_id_number",
    "telefonnummer": "redacted_phone",
    "e-post": "redacted_email",
    "adress": "redacted_address",
    "postnummer": "redacted_address",
}


@dataclass
class TurnResult:
    """What the person gets back."""

    replies: list[Reply]
    lang: str
    handoff: HandoffState
    flags: list[str] = field(default_factory=list)


class Conversation:
    """The one conversation path every channel goes through."""

    def __init__(
        self,
        sessions: SessionStore,
        rasa: RasaClient,
        safety: SafetyLayer,
        detector: LanguageDetector,
        texts: Texts,
        handoffs: Handoffs,
        redactor: Redactor | None = None,
        places: Resolver | None = None,
    ) -> None:
        self._handoffs = handoffs
        self._places = places
        self._redactor = redactor or Redactor.load()
        self._sessions = sessions
        self._rasa = rasa
        self._safety = safety
        self._detector = detector
        self._texts = texts

    async def turn(
        self, session: Session, text: str, requested_lang: str | None, msg_id: str | None = None
    ) -> TurnResult:
        """Answer one message; 112 first on danger, the safe reply when Rasa fails.

        `msg_id` (from the client) makes a retried message count once in a handoff.
        """
        is_payload = bool(_PAYLOAD.match(text))
        if text.startswith("/") and not is_payload:
            text = text.lstrip("/ ") or text  # typed slashes are text, not commands
        assessment = self._assess(session, text, is_payload)
        lang, settled = self._choose_language(session, text, requested_lang, assessment)
        changes: dict[str, str] = {}
        if lang != session.lang or settled != session.lang_settled:
            changes |= {"lang": lang, "lang_settled": "1" if settled else ""}
        if assessment.verdict is Verdict.DANGER and not session.risk and assessment.kind:
            changes["risk"] = assessment.kind  # the kind only, never the text
        asked = assessment.kind if assessment.verdict is Verdict.UNSURE else ""
        if asked != session.asked_kind and (asked or is_payload):
            changes["asked_kind"] = asked or ""
        # The changes are written with the turn's last write (`SessionStore.keep`): before a
        # handoff is queued (its script reads the danger mark) and before a message goes to staff.
        # From here on only the redacted text may leave this function towards a store.
        # A text with a digit or an @ is redacted in a thread: hostile input ("0 0 0 ..."
        # costs ~7 ms per 120 characters) would hold up every other conversation on the event
        # loop, danger replies included. Most texts have neither, and a thread's hand-over
        # costs more than reading them.
        redaction = (
            await asyncio.to_thread(self._redactor.redact, text)
            if not is_payload and self._redactor.may_hide(text)
            else Redaction(text, ())
        )
        notice = self._redacted_notice(redaction, lang)

        if session.handoff in OPEN_STATES:
            await self._sessions.keep(session.id, **changes)
            to_staff = await self._to_staff(
                session, redaction.text, lang, assessment, is_payload, msg_id, notice
            )
            if to_staff is not None:
                return to_staff
            # The handoff ended a moment ago: the bot answers this message.

        flags: list[str] = []
        first = self.safety_replies(assessment, lang)
        if assessment.alarm:
            flags += [assessment.verdict.value, assessment.kind or ""]
        if text == NO_DANGER_PAYLOAD:
            bot = BotTurn([Reply(self._texts.reply("danger_no_reply", lang))])
        else:
            bot = await self._bot_turn(session, text, redaction, lang, assessment, flags)
        # The turn's last write, one round trip: the changes, the session kept alive, and the
        # lifetime of Rasa's tracker, which tells whether Rasa stored this turn.
        kept = await self._sessions.keep(session.id, **changes)
        if kept.exists and not self._rasa.tracker_saved(bot, kept.tracker_ttl_ms):
            flags.append("safe_fallback")  # a bot that forgets would be worse than this reply
            bot = BotTurn()
        handoff = HandoffState.NONE
        bot_replies = bot.replies
        if bot.handoff_reason is not None:
            handoff, told = await self._hand_to_person(session, bot.handoff_reason, lang)
            bot_replies = [*bot_replies, told]

        replies = first + bot_replies
        if "safe_fallback" in flags or not replies:
            replies.append(Reply(self._texts.reply("safe_fallback", lang)))
        if notice:
            flags.append("redacted")
            replies.append(notice)
        logger.info("turn lang=%s flags=%s replies=%d", lang, ",".join(flags), len(replies))
        # Erased (quick exit) while Rasa answered: Rasa may have written its tracker after the
        # erase, so erase again rather than leave it until its TTL.
        if not kept.exists:
            await self._sessions.erase(session.id)
        return TurnResult(replies=replies, lang=lang, handoff=handoff, flags=flags)

    def _assess(self, session: Session, text: str, is_payload: bool) -> Assessment:
        """The safety layer's verdict; "Yes, I am in danger" is danger of the kind asked about."""
        if text == DANGER_INTENT:
            return Assessment(Verdict.DANGER, session.asked_kind or "violence", 1.0)
        return NOTHING if is_payload else self._safety.assess(text)

    def safety_replies(self, assessment: Assessment, lang: str) -> list[Reply]:
        """What opens the answer: the reply for the kind of danger, or the question with 112
        (and Yes/No buttons) when the layer is unsure; nothing otherwise."""
        keys = self._safety.reply_keys(assessment)
        texts = [self._texts.reply(key, lang) for key in keys]
        # The acute reply ends with the suicide line; the suicide reply that may follow it opens
        # with the same sentence: say it once.
        for i in range(1, len(texts)):
            opening = first_sentence(texts[i])
            if texts[i - 1].endswith(opening) and opening != texts[i]:
                texts[i] = texts[i][len(opening) :].lstrip()
        replies = [Reply(text) for text in texts]
        if assessment.verdict is Verdict.UNSURE:
            yes = Button(self._texts.reply("danger_yes", lang), DANGER_INTENT)
            no = Button(self._texts.reply("danger_no", lang), NO_DANGER_PAYLOAD)
            replies[-1] = Reply(replies[-1].text, (yes, no))
        return replies

    async def _bot_turn(
        self,
        session: Session,
        text: str,
        redaction: Redaction,
        lang: str,
        assessment: Assessment,
        flags: list[str],
    ) -> BotTurn:
        """Rasa's answer, after the safety layer's; none with `safe_fallback` flagged on failure.

        On danger Rasa gets the danger intent (its turn offers a person) unless the message is
        also a question it can answer: then the question, so the person gets that answer too.
        """
        try:
            if session.rasa_paused:
                await self.resume_bot(session.id, strict=True)
            message = self._detector.for_nlu(redaction.text, lang)
            place = self._places.only_a_place(text) if self._places else None
            if assessment.verdict is Verdict.DANGER and not await self._is_question(message):
                message = DANGER_INTENT
            elif place is not None:
                # A name the model has never seen (another script): the place is the answer.
                message = f'/inform_municipality{{"municipality":"{place.code}"}}'
            elif not assessment.alarm and self._detector.foreign_script(text):
                # The model would still guess an intent; the honest answer is "not understood".
                message = NOT_UNDERSTOOD_INTENT
                flags.append("foreign_script")
            bot = await self._rasa.send(session.id, message, lang)
        except RasaUnavailable:
            flags.append("safe_fallback")
            return BotTurn()
        replies = bot.replies
        own_112 = bool(replies) and EMERGENCY_NUMBER in replies[0].text
        if message == DANGER_INTENT and assessment.alarm and own_112:
            # The bot's own 112 line: the layer's reply already said it.
            return replace(bot, replies=replies[1:])
        return bot

    async def _hand_to_person(
        self, session: Session, reason: str, lang: str
    ) -> tuple[HandoffState, Reply]:
        """Rasa's action asked for a person and paused the bot: queue the conversation and say
        so honestly; when the queue refuses, wake the bot again and say that instead.
        (The handoff's state, and what the person is told.)"""
        try:
            await self._handoffs.enqueue(session.id, reason, lang, session.channel)
        except (ApiError, RedisError) as error:
            logger.warning("handoff_not_queued kind=%s", type(error).__name__)
            await self.resume_bot(session.id)
            return HandoffState.NONE, Reply(self._texts.reply("handoff_unavailable", lang))
        await self._sessions.set_rasa_paused(session.id, True)
        return HandoffState.QUEUED, Reply(self._texts.reply("handoff_requested", lang))

    async def _is_question(self, message: str) -> bool:
        """Whether the NLU reads the message as a question it answers (e.g. "is this honour
        violence?"); a failure counts as no, and the danger turn follows."""
        if message.startswith("/"):
            return False
        try:
            intent, confidence = await self._rasa.intent(message)
        except RasaUnavailable:
            return False
        policy = self._safety.policy
        return intent in policy.answer_intents and confidence >= policy.answer_confidence

    async def _to_staff(
        self,
        session: Session,
        text: str,
        lang: str,
        assessment: Assessment,
        is_payload: bool,
        msg_id: str | None,
        notice: Reply | None = None,
    ) -> TurnResult | None:
        """The person's (redacted) message goes to the staff member, flagged by the safety
        layer; None when the handoff has ended."""
        flags = ["handoff"]
        replies: list[Reply] = []
        marks: list[str] = []
        if assessment.alarm and assessment.kind:
            # The staff member sees the kind, never a guess in words; the person gets 112 at once
            # (the kind's reply on danger; the plain 112 line while unsure: a person is there).
            marks = [assessment.verdict.value, assessment.kind]
            flags += marks
            key = self._safety.danger_reply_key(assessment)
            replies.append(Reply(self._texts.reply(key, lang)))
        if is_payload:  # a button from earlier: not a message for the staff member
            state: HandoffState | None = session.handoff
        else:
            state = await self._handoffs.post_from_person(
                session.handoff_id, session.id, text, msg_id, marks
            )
        if state is None:
            return None
        if not session.rasa_paused:
            await self.pause_bot(session.id)
        if notice:
            flags.append("redacted")
            replies.append(notice)
        logger.info("turn lang=%s flags=%s replies=%d", lang, ",".join(flags), len(replies))
        return TurnResult(replies=replies, lang=lang, handoff=state, flags=flags)

    def _redacted_notice(self, redaction: Redaction, lang: str) -> Reply | None:
        """What was hidden and why, in the person's language; None when nothing was."""
        keys = {_REDACTED_REPLY[kind] for kind in redaction.types}
        if not keys:
            return None
        key = keys.pop() if len(keys) == 1 else "redacted_several"
        return Reply(self._texts.reply(key, lang))

    async def pause_bot(self, session_id: str) -> None:
        """Append `pause` to Rasa's tracker; a failure is retried at the next turn."""
        try:
            await self._rasa.pause(session_id)
        except RasaUnavailable:
            logger.warning("rasa_pause_failed")
            return
        await self._sessions.set_rasa_paused(session_id, True)

    async def on_back_to_bot(self, change: HandoffChanged) -> None:
        """A handoff ended (released, closed, or the person left): the bot answers again."""
        await self.resume_bot(change.session_id)

    async def resume_bot(self, session_id: str, strict: bool = False) -> None:
        """Append `resume` to Rasa's tracker (after a handoff ends).

        When Rasa cannot be reached the flag stays, and the next turn tries again first
        (`strict` lets that turn fall back to the safe reply).
        """
        try:
            await self._rasa.resume(session_id)
        except RasaUnavailable:
            logger.warning("rasa_resume_failed")
            if strict:
                raise
            return
        await self._sessions.set_rasa_paused(session_id, False)

    def _choose_language(
        self, session: Session, text: str, requested: str | None, assessment: Assessment
    ) -> tuple[str, bool]:
        """The turn's language and whether it is settled.

        A language picked in the widget wins at once; a message clearly in another language
        switches; a danger message is answered in the language whose pattern found it when
        neither the detector nor the session's language is among those. The safety model's
        language decides a language written in another script than its own (Arabic or Persian
        in Latin letters), and a message the detector finds no evidence in while unsettled.
        """
        current = session.lang if self._texts.supports(session.lang) else self._texts.default
        settled = session.lang_settled and current == session.lang
        if requested and self._texts.supports(requested) and requested != current:
            return requested, True  # picked in the widget just now
        settled = settled or requested == current  # the widget repeats a pick
        if _PAYLOAD.match(text):
            return current, settled
        detected = self._detector.detect(text, current, settled, assessment.language_guess)
        if not self._texts.supports(detected):
            detected = current
        found_in = [code for code in assessment.languages if self._texts.supports(code)]
        if assessment.alarm and found_in and detected not in found_in:
            detected = current if current in found_in else found_in[0]
        if detected != current:
            return detected, True
        return current, settled or self._detector.confirms(text, current)
