// The HRV Guide chat widget: native modules, no dependencies, nothing stored on the device.
// Everything from the server or the person is shown with textContent, never parsed as HTML.
// API contract: docs/ARCHITECTURE.md ("Widget API").
import { elementsById } from "../shared/dom.js";
import { MAX_LENGTH, resizeInput, setBusy, submitTyped } from "./composer.js";
import { loadConfig } from "./config.js";
import { leaveHandoff, renderHandoff } from "./handoff.js";
import { setLanguage } from "./language.js";
import { countShiftPresses, leaveAgainIfRestored, quickExit } from "./quick-exit.js";
import { el } from "./state.js";

function init() {
  Object.assign(
    el,
    elementsById({
      quickExit: "quick-exit",
      langSelect: "lang-select",
      chat: "chat",
      messages: "messages",
      typing: "typing",
      handoff: "handoff-status",
      handoffLeave: "handoff-leave",
      form: "composer",
      input: "message-input",
      sendButton: "send-button",
      cover: "exit-cover",
    }),
  );

  el.quickExit.addEventListener("click", quickExit);
  el.quickExit.addEventListener("keydown", (event) => {
    if (event.key === " " || event.key === "Spacebar") quickExit(event); // role="button"
  });
  document.addEventListener("keydown", countShiftPresses, true);

  el.langSelect.addEventListener("change", () => setLanguage(el.langSelect.value, true));

  el.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitTyped();
  });
  el.input.setAttribute("maxlength", String(MAX_LENGTH));
  el.input.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter makes a new line; never while an IME is composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submitTyped();
    }
  });
  el.input.addEventListener("input", resizeInput);
  el.handoffLeave.addEventListener("click", leaveHandoff);
  window.addEventListener("pageshow", leaveAgainIfRestored);

  setBusy(false);
  renderHandoff();
  loadConfig();
}

// A module script runs once the document is parsed: every element is there.
init();
