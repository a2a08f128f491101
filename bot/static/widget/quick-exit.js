// The quick exit: blank the page at once, erase the session on the server, and leave for a
// neutral site without a history entry to come back to. From its button or three Shift presses.
import { eraseOnServer, forgetSession } from "./session.js";
import { el, state } from "./state.js";

const SHIFT_PRESSES_TO_EXIT = 3;
const SHIFT_WINDOW_MS = 5000;

let shiftPresses = [];

// The config's neutral site, else the page's own link, else a fixed one: always http(s).
export function exitUrl() {
  const candidates = [state.config && state.config.exit_url, el.quickExit.getAttribute("href")];
  for (const candidate of candidates) {
    try {
      const url = new URL(candidate, window.location.href);
      if (url.protocol === "https:" || url.protocol === "http:") return url.href;
    } catch {
      /* try the next one */
    }
  }
  return "https://www.smhi.se/";
}

// Embedded on a partner's page (HRV_FRAME_ANCESTORS), the whole tab must leave, not only this
// frame; browsers allow it after the click or key press that started the exit. Where they
// refuse, the frame at least leaves.
function leave(url) {
  if (window.top !== window.self) {
    try {
      window.top.location.replace(url);
      return;
    } catch {
      /* fall through */
    }
  }
  window.location.replace(url);
}

export function quickExit(event) {
  if (event) event.preventDefault();
  if (state.exiting) return;
  state.exiting = true;
  // 1. Blank the page at once and drop the conversation from the DOM.
  document.documentElement.classList.add("exiting");
  el.cover.hidden = false;
  el.messages.textContent = "";
  el.input.value = "";
  el.handoff.textContent = "";
  const session = forgetSession();
  document.title = "\u00a0";
  // 2. Erase the session on the server; keepalive lets the request outlive the page.
  if (session) eraseOnServer(session);
  // 3. Leave, replacing this history entry so Back does not return to the chat.
  leave(exitUrl());
}

// Three bare Shift presses within 5 seconds; any other key in between starts over, so
// capitals, Shift+Enter and Shift+Tab never count towards it.
export function countShiftPresses(event) {
  if (state.exiting) return;
  if (event.key !== "Shift" || event.isComposing) {
    shiftPresses = [];
    return;
  }
  if (event.repeat || event.ctrlKey || event.altKey || event.metaKey) return;
  const now = Date.now();
  shiftPresses = shiftPresses.filter((time) => now - time < SHIFT_WINDOW_MS);
  shiftPresses.push(now);
  if (shiftPresses.length >= SHIFT_PRESSES_TO_EXIT) quickExit();
}

// If the browser ever restores this page from its back/forward cache after an exit, keep it
// blank and leave again.
export function leaveAgainIfRestored(event) {
  if (event.persisted && state.exiting) leave(exitUrl());
}
