// The staff console: native modules, no dependencies, nothing stored on the device. Every
// text is data (bot/texts/console/), in the page's JSON block.
// API: /api/v1/staff/* and /api/v1/handoffs/* (OpenAPI at /openapi.json).
import { elementsById } from "../shared/dom.js";
import { initAlerts } from "./alerts.js";
import { whenSessionEnds } from "./api.js";
import { claim, endChat, openChat, sendReply, showChatEvent } from "./chat.js";
import { chosenItem, refresh } from "./lists.js";
import { activity, endLocally, signIn, signOut, stillHere } from "./session.js";
import { el, state } from "./state.js";
import { loadTexts, t, useLanguage } from "./texts.js";
import { initTransfer } from "./transfer.js";

function init() {
  Object.assign(
    el,
    elementsById({
      who: "who",
      signOut: "sign-out",
      signinView: "signin-view",
      signinForm: "signin-form",
      tokenInput: "token",
      codeInput: "code",
      signinButton: "signin-button",
      signinError: "signin-error",
      idleWarning: "idle-warning",
      stillHere: "still-here",
      consoleView: "console-view",
      status: "status",
      queue: "queue",
      queueCount: "queue-count",
      queueEmpty: "queue-empty",
      mine: "mine",
      mineEmpty: "mine-empty",
      listError: "list-error",
      chatEmpty: "chat-empty",
      chat: "chat",
      chatMeta: "chat-meta",
      release: "release",
      close: "close",
      transcript: "transcript",
      replyForm: "reply-form",
      reply: "reply",
      send: "send",
      chatError: "chat-error",
      langSelect: "console-lang",
      // transfer, capacity and alerts
      transferOpen: "transfer-open",
      transferForm: "transfer-form",
      transferTo: "transfer-to",
      transferNote: "transfer-note",
      transferSend: "transfer-send",
      transferCancel: "transfer-cancel",
      transferError: "transfer-error",
      chatNotes: "chat-notes",
      chatNotesList: "chat-notes-list",
      capacityNote: "capacity-note",
      alertsToggle: "alerts-toggle",
      alertsStatus: "alerts-status",
    }),
  );
  loadTexts();
  whenSessionEnds(() => endLocally(t("session_ended")));
  el.langSelect.addEventListener("change", () => {
    useLanguage(el.langSelect.value);
    if (state.token) refresh();
  });
  el.signinForm.addEventListener("submit", signIn);
  el.signOut.addEventListener("click", signOut);
  el.stillHere.addEventListener("click", stillHere);
  // A supervisor's other views (staff/supervisor.js) count as being at the console too.
  for (const view of [el.consoleView, "views", "supervision-view", "stats-view"]) {
    const node = typeof view === "string" ? document.getElementById(view) : view;
    node.addEventListener("click", activity);
    node.addEventListener("keydown", activity);
  }
  // The lists are drawn again every few seconds: their buttons are handled here, once.
  el.queue.addEventListener("click", (event) => {
    const item = chosenItem(event);
    if (item) claim(item.id, item.button);
  });
  el.mine.addEventListener("click", (event) => {
    const item = chosenItem(event);
    if (item) openChat(item.id);
  });
  el.replyForm.addEventListener("submit", sendReply);
  el.reply.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) sendReply(event);
  });
  el.release.addEventListener("click", () => endChat("release"));
  el.close.addEventListener("click", () => endChat("close"));
  initTransfer(showChatEvent);
  initAlerts();
  el.tokenInput.focus();
}

// A module script runs once the document is parsed: every element is there.
init();
