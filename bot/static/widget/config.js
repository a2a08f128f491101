// The widget's config from the server: languages, every label, the exit site, the links in
// the labels. Until it loads, the page's Swedish texts stay.
import { call } from "./api.js";
import { buildLanguageSelect, renderLabels } from "./language.js";
import { exitUrl } from "./quick-exit.js";
import { el, state } from "./state.js";
import { languageInfo } from "./texts.js";

let configRequest = null;

function validConfig(body) {
  return Boolean(
    body &&
      typeof body.default_lang === "string" &&
      Array.isArray(body.languages) &&
      body.languages.length > 0 &&
      body.texts &&
      typeof body.texts === "object",
  );
}

async function fetchConfig() {
  try {
    const result = await call("GET", "/widget/config");
    if (!result.ok || !validConfig(result.body)) return null;
    state.config = result.body;
    if (!languageInfo(state.lang)) state.lang = state.config.default_lang;
    buildLanguageSelect();
    el.quickExit.setAttribute("href", exitUrl());
    renderLabels();
    return state.config;
  } catch {
    return null; // the Swedish texts in the page stay; try again at the next message
  }
}

// The config, loaded once; requests made while it loads share one.
export function loadConfig() {
  if (state.config) return Promise.resolve(state.config);
  if (!configRequest) {
    configRequest = fetchConfig().then((config) => {
      configRequest = null;
      return config;
    });
  }
  return configRequest;
}
