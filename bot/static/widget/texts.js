// The widget's labels in the person's language, from the config the server sends.
import { state } from "./state.js";

// Only shown when even the config could not be loaded.
const FALLBACK_ERROR = "Meddelandet kom inte fram. Försök igen. Om du är i fara: ring 112.";

function textsFor(lang) {
  const all = state.config && state.config.texts;
  return (all && all[lang]) || null;
}

// A label in the current language, falling back to the default language; null if neither has it.
export function t(key) {
  const own = textsFor(state.lang);
  if (own && typeof own[key] === "string") return own[key];
  const fallback = state.config && textsFor(state.config.default_lang);
  if (fallback && typeof fallback[key] === "string") return fallback[key];
  return null;
}

export function retryText() {
  return t("error_retry") || FALLBACK_ERROR;
}

export function languageInfo(code) {
  const list = (state.config && state.config.languages) || [];
  return list.find((lang) => lang && lang.code === code) || null;
}
