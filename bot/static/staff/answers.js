// Answers a staff member inserts into the reply box: the help in a municipality as the bot gives
// it (the registry's words and numbers, in the person's language) and the saved answers of the
// person's language, each with its Swedish meaning. Inserted, never sent: staff read, edit, send.
import { elementsById } from "../shared/dom.js";
import { call, errorText } from "./api.js";
import { el, state } from "./state.js";
import { t } from "./texts.js";

const own = {}; // this module's elements
let personLang = null; // the language of the chat shown
let placeCodes = null; // municipality name (case-folded) -> SCB code, read once

function insert(text) {
  if (el.reply.disabled) return;
  const before = el.reply.value.trimEnd();
  el.reply.value = before ? `${before}\n\n${text}` : text;
  el.reply.focus();
  el.reply.setSelectionRange(el.reply.value.length, el.reply.value.length);
}

function loadPlaces() {
  if (placeCodes) return;
  placeCodes = new Map();
  call("GET", "/municipalities").then(
    (result) => {
      if (!result.ok || !Array.isArray(result.body)) {
        placeCodes = null;
        return;
      }
      own.placeNames.textContent = "";
      for (const place of result.body) {
        placeCodes.set(String(place.name).toLowerCase(), place.code);
        const option = document.createElement("option");
        option.value = place.name;
        own.placeNames.appendChild(option);
      }
    },
    () => {
      placeCodes = null;
    },
  );
}

function insertPlace(event) {
  event.preventDefault();
  const written = own.placeInput.value.trim();
  if (!written || !personLang) return;
  const code = (placeCodes && placeCodes.get(written.toLowerCase())) || written;
  const lang = personLang;
  own.error.textContent = "";
  const path = `/municipalities/${encodeURIComponent(code)}/help-text?lang=${encodeURIComponent(lang)}`;
  call("GET", path).then(
    (result) => {
      if (lang !== personLang) return; // another chat was opened meanwhile
      if (result.ok) {
        insert(result.body.text);
        own.placeInput.value = "";
      } else if (result.status === 404) {
        own.error.textContent = t("answers_place_not_found");
      } else if (result.status === 409) {
        own.error.textContent = t("answers_place_ambiguous");
      } else {
        own.error.textContent = errorText(result, t("failed"));
      }
    },
    () => {
      own.error.textContent = t("server_unreachable");
    },
  );
}

function savedItem(answer, lang) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "saved-answer";
  button.dataset.answer = answer.id;
  const text = document.createElement("span");
  text.className = "text";
  text.lang = lang;
  text.dir = "auto";
  text.textContent = answer.text;
  button.appendChild(text);
  if (lang !== "sv") {
    const meaning = document.createElement("span");
    meaning.className = "meaning";
    meaning.lang = "sv";
    meaning.textContent = t("answers_meaning", { text: answer.meaning });
    button.appendChild(meaning);
  }
  button.addEventListener("click", () => insert(answer.text));
  item.appendChild(button);
  return item;
}

// The chat shown is in `lang` (the person's language): its saved answers, and inserts in it.
export function showAnswersFor(lang) {
  personLang = lang;
  own.saved.textContent = "";
  own.error.textContent = "";
  own.language.textContent = t("answers_language", { language: state.languages[lang] || lang });
  loadPlaces();
  call("GET", `/staff/saved-answers?lang=${encodeURIComponent(lang)}`).then(
    (result) => {
      if (lang !== personLang) return;
      if (!result.ok || !result.body || !Array.isArray(result.body.answers)) {
        own.error.textContent = t("answers_failed");
        return;
      }
      for (const answer of result.body.answers) own.saved.appendChild(savedItem(answer, lang));
    },
    () => {
      own.error.textContent = t("server_unreachable");
    },
  );
}

function init() {
  Object.assign(
    own,
    elementsById({
      placeForm: "place-form",
      placeInput: "place-input",
      placeNames: "place-names",
      saved: "saved-answers",
      language: "answers-language",
      error: "answers-error",
    }),
  );
  own.placeForm.addEventListener("submit", insertPlace);
}

init();
