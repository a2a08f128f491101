// The limit of chats one account may hold (HRV_STAFF_MAX_OPEN_CHATS, 0 = none): while the
// signed-in account is at it, the queue's "take" buttons are disabled and a short reason shows.
import { call } from "./api.js";
import { el, state } from "./state.js";
import { t } from "./texts.js";

let limit = null; // from the server once signed in; null until then

// Asks the server for the limit (once per sign-in; the colleagues' list carries it).
export function loadLimit() {
  if (limit !== null) return;
  limit = 0;
  call("GET", "/staff/colleagues").then(
    (result) => {
      if (result.ok && result.body) limit = Number(result.body.max_open_chats) || 0;
      else limit = null;
    },
    () => {
      limit = null;
    },
  );
}

export function forgetLimit() {
  limit = null;
  state.atCapacity = false;
}

// How many chats this account holds now: sets `state.atCapacity` and the reason shown.
export function applyCapacity(held) {
  state.atCapacity = Boolean(limit) && held >= limit;
  el.capacityNote.textContent = state.atCapacity ? t("at_capacity", { n: limit }) : "";
}
