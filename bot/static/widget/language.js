// The language the widget speaks: every label, the direction of the page, the picker.
import { renderHandoff } from "./handoff.js";
import { fillText } from "./links.js";
import { relabelSpeakers } from "./messages.js";
import { el, state } from "./state.js";
import { languageInfo, t } from "./texts.js";

export function buildLanguageSelect() {
  el.langSelect.textContent = "";
  for (const lang of state.config.languages) {
    if (!lang || typeof lang.code !== "string") continue;
    const option = document.createElement("option");
    option.value = lang.code;
    option.textContent = typeof lang.name === "string" ? lang.name : lang.code;
    option.lang = lang.code;
    option.dir = lang.dir === "rtl" ? "rtl" : "ltr";
    el.langSelect.appendChild(option);
  }
}

export function renderLabels() {
  const links = (state.config && state.config.links && state.config.links[state.lang]) || {};
  for (const node of document.querySelectorAll("[data-text]")) {
    const key = node.getAttribute("data-text");
    const value = t(key);
    if (value === null) continue;
    node.textContent = "";
    // The banner's 112 becomes a link to call; links only where the server marked them.
    if (node.tagName !== "A" && Array.isArray(links[key])) fillText(node, value, links[key]);
    else node.textContent = value;
  }
  for (const node of document.querySelectorAll("[data-text-placeholder]")) {
    const hint = t(node.getAttribute("data-text-placeholder"));
    if (hint !== null) node.setAttribute("placeholder", hint);
  }
  relabelSpeakers();
  // A plain tab title: someone glancing at the screen or the history sees only "Chatt".
  const title = t("page_title");
  if (title !== null && !state.exiting) document.title = title;
  const info = languageInfo(state.lang);
  document.documentElement.lang = state.lang;
  document.documentElement.dir = info && info.dir === "rtl" ? "rtl" : "ltr";
  if (el.langSelect.value !== state.lang) el.langSelect.value = state.lang;
  renderHandoff();
}

// `pickedByPerson`: chosen in the picker (sent with every message from now on), not followed
// from the server's answer.
export function setLanguage(code, pickedByPerson) {
  if (!languageInfo(code)) return;
  state.lang = code;
  if (pickedByPerson) state.langPicked = true;
  renderLabels();
}
