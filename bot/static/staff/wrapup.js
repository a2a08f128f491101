// The wrap-up asked for when a chat is closed: one or more categories and exactly one outcome,
// chosen in a modal dialog (keyboard: Tab through the choices, Space to tick, Enter to close
// the chat, Escape to cancel). The choices and their labels come from the server (data, in every
// console language); only their ids are sent.
import { elementsById } from "../shared/dom.js";
import { call } from "./api.js";
import { t } from "./texts.js";

let choices = { categories: [], outcomes: [] };
let el = null;
let answer = null; // resolves the open dialog's promise

function label(choice) {
  const labels = choice.labels || {};
  return labels[document.documentElement.lang] || labels.sv || choice.id;
}

function fill(box, list, type) {
  box.textContent = "";
  for (const choice of list) {
    const row = document.createElement("label");
    row.className = "choice";
    const input = document.createElement("input");
    input.type = type;
    input.name = type === "radio" ? "outcome" : "category";
    input.value = choice.id;
    row.append(input, " ", label(choice));
    box.appendChild(row);
  }
}

function finish(result) {
  const done = answer;
  answer = null;
  if (el.dialog.open) el.dialog.close();
  if (done) done(result);
}

function confirm(event) {
  event.preventDefault();
  const ticked = (name) =>
    [...el.form.querySelectorAll(`input[name="${name}"]:checked`)].map((input) => input.value);
  const categories = ticked("category");
  const [outcome] = ticked("outcome");
  if (!categories.length || !outcome) {
    el.error.textContent = t("wrapup_missing");
    return;
  }
  finish({ categories, outcome });
}

function setUp() {
  if (el) return;
  el = elementsById({
    dialog: "wrapup-dialog",
    form: "wrapup-form",
    categories: "wrapup-categories",
    outcomes: "wrapup-outcomes",
    error: "wrapup-error",
    cancel: "wrapup-cancel",
  });
  el.form.addEventListener("submit", confirm);
  el.cancel.addEventListener("click", () => finish(null));
  el.dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: our own close, so the promise is answered
    finish(null);
  });
}

// The choices, once per sign-in.
export function loadWrapUp() {
  setUp();
  call("GET", "/staff/wrap-up").then(
    (result) => {
      if (result.ok && result.body) choices = result.body;
    },
    () => {},
  );
}

// Asks for the wrap-up; resolves to {categories, outcome}, or null when cancelled.
export function askWrapUp() {
  setUp();
  if (answer) finish(null);
  fill(el.categories, choices.categories || [], "checkbox");
  fill(el.outcomes, choices.outcomes || [], "radio");
  el.error.textContent = "";
  return new Promise((resolve) => {
    answer = resolve;
    el.dialog.showModal();
    const first = el.form.querySelector("input");
    if (first) first.focus();
  });
}

// A category's or an outcome's label in the console's language (the id when unknown).
export function wrapUpLabel(id) {
  const all = [...(choices.categories || []), ...(choices.outcomes || [])];
  const found = all.find((choice) => choice.id === id);
  return found ? label(found) : id;
}
