// The conversation with the bot before the handoff (`bot_history` entries, sent to staff only),
// under its own heading at the top of the transcript, drawn apart from the chat with staff so
// nobody mistakes what the person told the bot for what they write to a person now.
import { Side } from "../shared/vocabulary.js";
import { el } from "./state.js";
import { t } from "./texts.js";

// A node whose text follows the console's language (texts.js fills every [data-text]).
function labelled(tag, className, key) {
  const node = document.createElement(tag);
  node.className = className;
  node.setAttribute("data-text", key);
  node.textContent = t(key);
  return node;
}

function historySection() {
  let section = el.transcript.querySelector(".bot-history");
  if (!section) {
    section = document.createElement("section");
    section.className = "bot-history";
    section.appendChild(labelled("h3", "bot-history-title", "bot_history_title"));
    el.transcript.prepend(section);
  }
  return section;
}

export function showBotHistory(event) {
  const fromBot = event.from === Side.BOT;
  const line = document.createElement("div");
  line.className = `line history ${fromBot ? "bot" : "person"}`;
  line.appendChild(labelled("span", "from", fromBot ? "bot_history_bot" : "bot_history_person"));
  const body = document.createElement("span");
  body.className = "text";
  body.dir = "auto";
  body.textContent = String(event.text); // never innerHTML
  line.appendChild(body);
  historySection().appendChild(line);
}
