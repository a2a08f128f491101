// Writing and sending: the message box, sending a message (or a reply button's payload), and
// showing the answer, or what went wrong and the typed text back to send again.
import { loadConfig } from "./config.js";
import { setHandoff } from "./handoff.js";
import { setLanguage } from "./language.js";
import {
  addMessage,
  addReplyButtons,
  clearReplyButtons,
  scrollToShow,
  showNotice,
  systemLine,
} from "./messages.js";
import { deliver } from "./session.js";
import { el, state } from "./state.js";
import { retryText } from "./texts.js";

export const MAX_LENGTH = 2000;
// Characters the server refuses: control characters (all but tab and newline) and U+FFFD
// (what a broken paste leaves): invisible or meaningless, and a pasted one would otherwise
// make the message fail again and again.
// eslint-disable-next-line no-control-regex -- control characters are what it removes
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFFFD]/g;
// Browsers that cannot size the box to its text themselves get it done here.
const autoSize = !(window.CSS && CSS.supports && CSS.supports("field-sizing", "content"));

let busy = false;

export function setBusy(value) {
  busy = value;
  el.sendButton.disabled = value;
  el.typing.hidden = !value;
  el.chat.setAttribute("aria-busy", value ? "true" : "false");
}

export function resizeInput() {
  if (!autoSize) return;
  el.input.style.height = "auto"; // CSSOM, allowed by the CSP (unlike style attributes)
  el.input.style.height = `${Math.min(el.input.scrollHeight + 2, 160)}px`;
}

function chooseReply(button, byKeyboard) {
  send(button.payload, button.title).then(() => {
    // The buttons are gone now; keep keyboard users where they can go on writing.
    if (byKeyboard && !state.exiting) el.input.focus();
  });
}

// Shows the bot's replies; returns the first, to scroll to.
function renderReplies(body) {
  if (body && typeof body.lang === "string" && body.lang !== state.lang) {
    setLanguage(body.lang, false); // the server answered in another language: follow it
  }
  let first = null;
  const replies = body && Array.isArray(body.replies) ? body.replies : [];
  for (const reply of replies) {
    if (!reply || typeof reply.text !== "string") continue;
    const node = addMessage("bot", reply.text, reply.links);
    first = first || node;
    if (Array.isArray(reply.buttons) && reply.buttons.length) {
      addReplyButtons(reply.buttons, chooseReply);
    }
  }
  if (body && typeof body.handoff === "string") setHandoff(body.handoff);
  return first;
}

// Refusals (503 full, 429 too fast) carry the safe reply (helplines) in every language: ours.
function safeReplyFrom(body) {
  const replies = body && Array.isArray(body.replies) ? body.replies : [];
  const usable = replies.filter((reply) => reply && typeof reply.text === "string");
  const mine = usable.find((reply) => reply.lang === state.lang);
  const fallback = usable.find((reply) => state.config && reply.lang === state.config.default_lang);
  return mine || fallback || null;
}

// Sends `text`, showing `shown` as the person's message (a reply button's title, or the text).
export async function send(raw, shown) {
  const text = String(raw).replace(CONTROL_CHARACTERS, "").slice(0, MAX_LENGTH);
  if (!text.trim() || busy || state.exiting) return false;
  setBusy(true);
  clearReplyButtons();
  const userNode = addMessage("user", shown);
  scrollToShow(null);
  if (!state.config) loadConfig();
  // Not taken: give a typed message back so it can be sent again with one tap.
  const giveBack = () => {
    userNode.classList.add("failed");
    if (text === shown && !el.input.value) el.input.value = text;
  };
  let ok = false;
  try {
    const result = await deliver(text);
    if (!state.exiting) {
      // Said before the answer: the guide (or the person) no longer knows the earlier chat.
      const notice = result.expired ? systemLine("session_expired") : null;
      let first;
      if (result.ok) {
        first = renderReplies(result.body);
      } else {
        giveBack(); // too fast, full, refused
        const safe = safeReplyFrom(result.body);
        first = safe ? addMessage("bot", safe.text, safe.links) : showNotice(retryText());
      }
      scrollToShow(notice || first);
      ok = result.ok;
    }
  } catch {
    if (!state.exiting) {
      giveBack();
      scrollToShow(showNotice(retryText()));
    }
  }
  setBusy(false);
  return ok;
}

export function submitTyped() {
  const text = el.input.value.replace(CONTROL_CHARACTERS, "").trim();
  if (!text || busy || state.exiting) return;
  el.input.value = "";
  resizeInput();
  send(text, text);
}
