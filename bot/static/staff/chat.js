// One conversation: claiming it, its transcript and live events, replying, and handing it
// back to the bot or closing it. What a person writes is shown as text, never as HTML.
import { EventFeed } from "../shared/event-feed.js";
import { randomId } from "../shared/ids.js";
import { EventKind, HANDOFF_ENDS, HandoffState, Side } from "../shared/vocabulary.js";
import { noticeFlag } from "./alerts.js";
import { showAnswersFor } from "./answers.js";
import { call, errorText } from "./api.js";
import { showBotHistory } from "./history.js";
import { refresh } from "./lists.js";
import { el, state } from "./state.js";
import { has, named, riskText, t } from "./texts.js";
import { resetTransfer, showNotes } from "./transfer.js";
import { askWrapUp } from "./wrapup.js";

const RETRY_MS = [1000, 2000, 4000];
// A poll refused like this: the conversation is no longer this staff member's, or gone.
const GONE_STATUSES = [403, 404, 409];
// The console's two ways to end a chat: the address to call, and the event that follows.
const ENDINGS = { release: EventKind.RELEASED, close: EventKind.CLOSED };

function handoffPath(id, rest) {
  return `/handoffs/${encodeURIComponent(id)}/${rest}`;
}

function setEnded(ended) {
  el.reply.disabled = ended;
  el.send.disabled = ended;
  el.release.disabled = ended;
  el.close.disabled = ended;
  el.transferOpen.disabled = ended;
  if (ended) resetTransfer();
}

function addLine(kind, label, text, danger) {
  const line = document.createElement("div");
  line.className = `line ${kind}${danger ? " danger" : ""}`;
  if (label) {
    const from = document.createElement("span");
    from.className = "from";
    from.textContent = label;
    line.appendChild(from);
  }
  const body = document.createElement("span");
  body.className = "text";
  body.dir = "auto";
  body.textContent = text; // never innerHTML: a person's "<script>" stays text
  line.appendChild(body);
  el.transcript.appendChild(line);
  el.transcript.scrollTop = el.transcript.scrollHeight;
  return line;
}

function markEnded(chat) {
  chat.ended = true;
  chat.feed.finish();
  setEnded(true);
  refresh();
}

// Shows an event once (by id); returns false when the conversation is over for us. Events of
// the transcript (`history`) never end it: they may be from an earlier claim.
function showEvent(chat, event, history) {
  if (!event || typeof event.kind !== "string") return true;
  if (chat.ended && !history) return false; // shown already when this console ended it
  if (!chat.feed.isNew(event)) return true;
  if (event.kind === EventKind.TEXT) {
    const flags = Array.isArray(event.flags) ? event.flags : [];
    const risk = riskText(flags);
    const mine = event.from === Side.STAFF;
    const by = flags.includes("supervisor") ? t("supervisor") : t("you"); // a supervisor joined
    const who = mine ? by : risk ? t("person_flagged", { risk }) : t("person");
    addLine(mine ? "staff" : "person", who, String(event.text), Boolean(risk));
    if (risk && !mine && !history) noticeFlag();
  } else if (event.kind === EventKind.BOT_HISTORY) {
    showBotHistory(event);
  } else if (has(`system_${event.kind}`)) {
    addLine("system", "", t(`system_${event.kind}`), false);
  }
  if (!history && HANDOFF_ENDS[Side.STAFF].includes(event.kind)) {
    markEnded(chat);
    return false;
  }
  return true;
}

function newChat(id) {
  const chat = { id, ended: false, feed: null };
  chat.feed = new EventFeed({
    path: handoffPath(id, "events"),
    token: state.token,
    get: (path) => call("GET", path),
    onEvent: (event) => showEvent(chat, event, false),
    onPolled: (result) => {
      if (result.ok && Array.isArray(result.body)) {
        result.body.forEach((event) => showEvent(chat, event, false));
      } else if (GONE_STATUSES.includes(result.status)) {
        showEvent(chat, { kind: EventKind.GONE }, false);
      }
    },
    retryMs: RETRY_MS,
  });
  return chat;
}

// An event this console caused (a transfer), shown in the open chat as if it had come.
export function showChatEvent(event) {
  if (state.chat) showEvent(state.chat, event, false);
}

export function closeChat() {
  const chat = state.chat;
  if (chat) {
    chat.ended = true;
    chat.feed.stop();
  }
  state.chat = null;
  state.selected = null;
  el.transcript.textContent = "";
  showNotes([]);
  resetTransfer();
  el.chat.hidden = true;
  el.chatEmpty.hidden = false;
}

export function openChat(id) {
  closeChat();
  state.selected = id;
  const chat = newChat(id);
  state.chat = chat;
  el.chat.hidden = false;
  el.chatEmpty.hidden = true;
  el.chatError.textContent = "";
  setEnded(false);
  call("GET", handoffPath(id, "messages")).then(
    (result) => {
      if (state.chat !== chat) return;
      if (!result.ok) {
        el.chatError.textContent = errorText(result, t("chat_failed"));
        setEnded(true);
        return;
      }
      const handoff = result.body.handoff;
      el.chatMeta.textContent = `${state.languages[handoff.lang] || handoff.lang} · ${
        handoff.risk ? named("risk_", handoff.risk) : named("reason_", handoff.reason)
      }`;
      // The transcript is history: a `requeued` from an earlier claim must not end this one.
      // Whether the chat is over is the handoff's state now; only live events can end it.
      showNotes(result.body.messages);
      for (const entry of result.body.bot_history || []) showEvent(chat, entry, true);
      for (const message of result.body.messages) showEvent(chat, message, true);
      showAnswersFor(handoff.lang);
      if (handoff.state !== HandoffState.ACTIVE) {
        markEnded(chat);
        return;
      }
      chat.feed.start();
    },
    () => {
      el.chatError.textContent = t("server_unreachable");
    },
  );
  refresh();
}

export function claim(id, button) {
  button.disabled = true;
  call("POST", handoffPath(id, "claim")).then(
    (result) => {
      if (result.ok) {
        openChat(id);
      } else {
        const code = result.body && result.body.error && result.body.error.code;
        el.listError.textContent =
          code === "at_capacity"
            ? t("claim_at_capacity")
            : result.status === 409
              ? t("claimed_by_other")
              : errorText(result, t("failed"));
      }
      refresh();
    },
    () => {
      el.listError.textContent = t("server_unreachable");
      button.disabled = false;
    },
  );
}

export function sendReply(event) {
  event.preventDefault();
  const chat = state.chat;
  const text = el.reply.value.trim();
  if (!chat || chat.ended || !text) return;
  // A message that was not confirmed keeps its id when it is sent again (stored once).
  const sameAsUnconfirmed = state.unconfirmed && state.unconfirmed.chat === chat.id;
  const msgId =
    sameAsUnconfirmed && state.unconfirmed.text === text ? state.unconfirmed.msgId : randomId();
  state.unconfirmed = { chat: chat.id, text, msgId };
  const payload = { text, msg_id: msgId };
  el.reply.value = "";
  el.send.disabled = true;
  const path = handoffPath(chat.id, "messages");
  const giveBack = (message) => {
    el.chatError.textContent = message;
    if (!el.reply.value) el.reply.value = text;
  };
  // One retry with the same msg_id: the server stores the message once either way.
  call("POST", path, payload)
    .catch(() => call("POST", path, payload))
    .then(
      (result) => {
        if (result.ok) {
          state.unconfirmed = null;
          showEvent(chat, {
            id: result.body.id,
            kind: EventKind.TEXT,
            from: Side.STAFF,
            text,
            flags: [],
          });
        } else {
          giveBack(errorText(result, t("send_failed")));
        }
      },
      () => giveBack(t("send_failed_retry")),
    )
    .then(() => {
      el.send.disabled = Boolean(state.chat && state.chat.ended);
    });
}

// `action`: "release" (back to the bot) or "close" (after the wrap-up dialog).
export async function endChat(action) {
  const chat = state.chat;
  if (!chat || chat.ended) return;
  const wrapUp = action === "close" ? await askWrapUp() : undefined;
  if (wrapUp === null || state.chat !== chat) return; // cancelled, or another chat by now
  call("POST", handoffPath(chat.id, action), wrapUp).then(
    (result) => {
      if (result.ok) showEvent(chat, { kind: ENDINGS[action] });
      else el.chatError.textContent = errorText(result, t("failed"));
    },
    () => {
      el.chatError.textContent = t("server_unreachable");
    },
  );
}
