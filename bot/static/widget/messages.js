// The message log: what the person, the bot and staff wrote, and the widget's own notices.
// Everything is shown as text (textContent), never parsed as HTML.
import { fillText } from "./links.js";
import { el } from "./state.js";
import { t } from "./texts.js";

const SPEAKER_TEXTS = { user: "you", bot: "bot", staff: "staff" };

function speakerLabel(who) {
  const label = t(SPEAKER_TEXTS[who] || "bot");
  return label ? `${label}: ` : "";
}

// The speakers' labels again, in the language just chosen.
export function relabelSpeakers() {
  for (const speaker of el.messages.querySelectorAll(".who")) {
    speaker.textContent = speakerLabel(speaker.getAttribute("data-who"));
  }
}

export function addMessage(who, text, links) {
  const item = document.createElement("div");
  item.className = `msg ${who}`;
  if (who === "user" || who === "bot" || who === "staff") {
    const speaker = document.createElement("span");
    // A person's messages are labelled visibly: nobody should mistake the bot for a human.
    speaker.className = who === "staff" ? "who" : "who visually-hidden";
    speaker.setAttribute("data-who", who);
    speaker.textContent = speakerLabel(who);
    item.appendChild(speaker);
  }
  const body = document.createElement("span");
  body.className = "msg-text";
  body.dir = "auto";
  fillText(body, text, links);
  item.appendChild(body);
  el.messages.appendChild(item);
  return item;
}

// The bot's suggested replies; `onChoose(button, byKeyboard)` sends the one pressed.
export function addReplyButtons(buttons, onChoose) {
  const group = document.createElement("div");
  group.className = "reply-buttons";
  for (const button of buttons) {
    if (!button || typeof button.title !== "string" || typeof button.payload !== "string") continue;
    const node = document.createElement("button");
    node.type = "button";
    node.className = "reply-button";
    node.dir = "auto";
    node.textContent = button.title;
    node.addEventListener("click", (event) => onChoose(button, event.detail === 0));
    group.appendChild(node);
  }
  if (group.childNodes.length) el.messages.appendChild(group);
}

export function clearReplyButtons() {
  for (const group of el.messages.querySelectorAll(".reply-buttons")) group.remove();
}

// A line of the widget's own, in the person's language; null when the text is unknown.
export function systemLine(key) {
  const text = t(key);
  return text === null ? null : addMessage("system", text);
}

export function showNotice(text) {
  const node = addMessage("notice", text);
  node.setAttribute("role", "alert");
  return node;
}

// Scrolls so the first new message shows at the top (or to the end when there is none).
export function scrollToShow(firstNew) {
  const chat = el.chat;
  const end = chat.scrollHeight - chat.clientHeight;
  const target = firstNew ? firstNew.offsetTop - 12 : end;
  chat.scrollTop = Math.max(0, Math.min(target, end));
}
