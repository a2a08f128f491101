// Handing the open chat on: to a colleague on duty or back to the queue, with a note only staff
// read. The notes earlier holders left are shown above the transcript. A note is shown as text,
// never as HTML.
import { EventKind } from "../shared/vocabulary.js";
import { call, errorText } from "./api.js";
import { refresh } from "./lists.js";
import { el, state } from "./state.js";
import { t } from "./texts.js";

let moved = () => {}; // shows the chat as handed on (chat.js, wired in main.js)

// The server's refusals, by their stable code, in the console's words.
const REFUSALS = {
  colleague_off_duty: "transfer_refused_off_duty",
  colleague_not_found: "transfer_refused_unknown",
  at_capacity: "transfer_refused_full",
};

function addOption(value, text, disabled) {
  const option = document.createElement("option");
  option.value = value;
  option.textContent = text;
  option.disabled = disabled;
  el.transferTo.appendChild(option);
}

function hideForm() {
  el.transferForm.hidden = true;
  el.transferNote.value = "";
  el.transferError.textContent = "";
}

async function openForm() {
  if (!state.chat || state.chat.ended) return;
  el.transferTo.textContent = "";
  addOption("", t("transfer_to_queue"), false);
  el.transferError.textContent = "";
  el.transferForm.hidden = false;
  try {
    const result = await call("GET", "/staff/colleagues");
    const colleagues = (result.ok && result.body && result.body.colleagues) || [];
    for (const colleague of colleagues) {
      const name = String(colleague.name);
      const text = colleague.at_capacity
        ? t("transfer_colleague_full", { name })
        : t("transfer_colleague", { name, n: colleague.open_chats });
      addOption(name, text, Boolean(colleague.at_capacity));
    }
    if (!result.ok) el.transferError.textContent = t("transfer_no_colleagues");
  } catch {
    el.transferError.textContent = t("server_unreachable");
  }
  el.transferTo.focus();
}

async function send(event) {
  event.preventDefault();
  const chat = state.chat;
  if (!chat || chat.ended) return;
  const to = el.transferTo.value || null;
  el.transferSend.disabled = true;
  try {
    const path = `/handoffs/${encodeURIComponent(chat.id)}/transfer`;
    const result = await call("POST", path, { to, note: el.transferNote.value.trim() });
    if (result.ok) {
      hideForm();
      const kind = to ? EventKind.TRANSFERRED : EventKind.TRANSFERRED_TO_QUEUE;
      if (state.chat === chat) moved({ kind });
      refresh();
    } else {
      const code = result.body && result.body.error && result.body.error.code;
      el.transferError.textContent = REFUSALS[code]
        ? t(REFUSALS[code])
        : errorText(result, t("failed"));
    }
  } catch {
    el.transferError.textContent = t("server_unreachable");
  }
  el.transferSend.disabled = false;
}

// The notes in a chat's transcript, oldest first, above it (none: the box is hidden).
export function showNotes(messages) {
  el.chatNotesList.textContent = "";
  const notes = messages.filter((m) => m && m.kind === EventKind.NOTE && m.text);
  for (const note of notes) {
    const item = document.createElement("li");
    item.dir = "auto";
    item.textContent = String(note.text);
    el.chatNotesList.appendChild(item);
  }
  el.chatNotes.hidden = notes.length === 0;
}

// The chat pane changed or ended: no form left open for it.
export function resetTransfer() {
  hideForm();
}

// `onMoved(event)`: shows the chat's end for this console, as if the event had come.
export function initTransfer(onMoved) {
  moved = onMoved;
  el.transferOpen.addEventListener("click", openForm);
  el.transferForm.addEventListener("submit", send);
  el.transferCancel.addEventListener("click", hideForm);
}
