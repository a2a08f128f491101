// The console's texts: every language's, from the page's JSON data block (bot/texts/console/);
// the language chosen in the header lives in memory only.
import { el } from "./state.js";

let catalogue = { default: "sv", languages: [] };
let texts = {}; // the chosen language's

export function has(key) {
  return Object.prototype.hasOwnProperty.call(texts, key);
}

// A text with its {placeholders} filled; the key itself if a text is missing (never empty).
export function t(key, values) {
  const text = has(key) ? texts[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    values && values[name] !== undefined ? String(values[name]) : whole,
  );
}

// The text named after a value the server sends (a reason, a kind of danger, an event), or
// the value itself when no text has that name.
export function named(prefix, value) {
  return has(prefix + value) ? texts[prefix + value] : String(value);
}

// The safety layer's kinds of danger: the chat began with one, or a message was flagged.
export function riskText(kinds) {
  const known = kinds.find((kind) => kind !== "unsure" && has(`risk_${kind}`));
  if (known) return texts[`risk_${known}`];
  return kinds.includes("unsure") ? t("risk_unsure") : "";
}

export function useLanguage(code) {
  const chosen = catalogue.languages.find((lang) => lang.code === code) || catalogue.languages[0];
  if (!chosen) return;
  texts = chosen.texts || {};
  document.documentElement.lang = chosen.code;
  for (const node of document.querySelectorAll("[data-text]")) {
    node.textContent = t(node.getAttribute("data-text"));
  }
  for (const node of document.querySelectorAll("[data-placeholder]")) {
    node.placeholder = t(node.getAttribute("data-placeholder"));
  }
  el.langSelect.value = chosen.code;
}

export function loadTexts() {
  const block = document.getElementById("console-texts");
  try {
    catalogue = JSON.parse(block ? block.textContent : "null") || catalogue;
  } catch {
    catalogue = { default: "sv", languages: [] };
  }
  for (const lang of catalogue.languages) {
    const option = document.createElement("option");
    option.value = lang.code;
    option.textContent = lang.name;
    el.langSelect.appendChild(option);
  }
  el.langSelect.hidden = catalogue.languages.length < 2;
  useLanguage(catalogue.default);
}
