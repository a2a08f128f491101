// Alerts while a shift runs: the page title counts the waiting chats, and a sound (made here with
// Web Audio, no file) and, once the staff member turned them on, a desktop notification say that
// a new chat is waiting or a message was flagged. A notification carries one fixed sentence and
// nothing of the chat (no text, no language). Permission is asked only when the button is
// pressed, never on load, and whether alerts are on lives in memory only.
import { el } from "./state.js";
import { t } from "./texts.js";

const NEW_CHAT = "alert_new_chat";
const FLAGGED = "alert_flagged";

let audio = null;
let desktop = false; // turned on with the button in this page, never remembered
let known = null; // handoff id -> its risk mark, from the last queue seen; null before the first
let held = null; // handoff id -> its count of flagged messages, from the last list of own chats

function setTitle(waiting) {
  const title = t("page_title");
  document.title = waiting > 0 ? `(${waiting}) ${title}` : title;
}

// Two or three short tones; a flagged message sounds higher. Silent where Web Audio is missing
// or the browser has not let the page play sound yet.
function sound(kind) {
  try {
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) return;
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const tones = kind === FLAGGED ? [880, 660, 880] : [660, 880];
    tones.forEach((frequency, i) => {
      const start = audio.currentTime + i * 0.18;
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      volume.gain.setValueAtTime(0.0001, start);
      volume.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + 0.15);
      tone.connect(volume).connect(audio.destination);
      tone.start(start);
      tone.stop(start + 0.16);
    });
  } catch {
    // no sound: the title and the list still show it
  }
}

function notify(kind) {
  if (!desktop || !("Notification" in window) || Notification.permission !== "granted") return;
  try {
    // The same tag replaces an earlier alert of the kind rather than piling them up.
    new Notification(t(kind), { tag: `console-${kind}`, silent: true });
  } catch {
    // a browser that allows notifications only from a service worker: the sound remains
  }
}

function alert(kind) {
  sound(kind);
  notify(kind);
}

function showDesktopState(message) {
  el.alertsToggle.textContent = t(desktop ? "alerts_turn_off" : "alerts_turn_on");
  el.alertsStatus.textContent = message || "";
}

async function toggleDesktop() {
  if (desktop) {
    desktop = false;
    showDesktopState("");
    return;
  }
  if (!("Notification" in window)) {
    showDesktopState(t("alerts_unsupported"));
    return;
  }
  let permission = Notification.permission;
  if (permission === "default") {
    try {
      permission = await Notification.requestPermission();
    } catch {
      permission = "denied";
    }
  }
  desktop = permission === "granted";
  showDesktopState(desktop ? t("alerts_on") : t("alerts_blocked"));
}

// The queue as listed now: the title's count, and an alert for each chat not seen before or
// flagged since (the first list after signing in is what was already waiting: no alert).
export function noticeQueue(queued) {
  setTitle(queued.length);
  el.alertsToggle.textContent = t(desktop ? "alerts_turn_off" : "alerts_turn_on"); // language

  const now = new Map(queued.map((item) => [item.handoff_id, item.risk || ""]));
  if (known) {
    let kind = null;
    for (const [id, risk] of now) {
      if (!known.has(id)) kind = kind || NEW_CHAT;
      if (risk && known.has(id) && !known.get(id)) kind = FLAGGED;
    }
    if (kind) alert(kind);
  }
  known = now;
}

// A flagged message arrived live in a chat this account holds.
export function noticeFlag() {
  alert(FLAGGED);
}

// The chats this account holds, as listed now: an alert when one that is not shown (`shown`: its
// live feed alerts itself) has more flagged messages than before.
export function noticeHeld(items, shown) {
  const now = new Map(items.map((item) => [item.handoff_id, item.flagged || 0]));
  if (held) {
    for (const [id, flagged] of now) {
      if (id !== shown && flagged > (held.get(id) ?? flagged)) {
        alert(FLAGGED);
        break;
      }
    }
  }
  held = now;
}

// Signed out: forget the queue and the choice, and the count leaves the title.
export function resetAlerts() {
  known = null;
  held = null;
  desktop = false;
  setTitle(0);
  showDesktopState("");
}

export function initAlerts() {
  el.alertsToggle.addEventListener("click", toggleDesktop);
  showDesktopState("");
}
