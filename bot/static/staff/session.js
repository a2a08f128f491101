// Signing in and out, and staying signed in. The console's timers (heartbeat, list refresh,
// events) do not keep the session alive: only what the person at the console does, so an
// unattended console signs out after the idle time (a warning comes first).
import { resetAlerts } from "./alerts.js";
import { call } from "./api.js";
import { forgetLimit } from "./capacity.js";
import { closeChat } from "./chat.js";
import { refresh } from "./lists.js";
import { el, state } from "./state.js";
import { hideRoleViews, showRoleViews } from "./supervisor.js";
import { t } from "./texts.js";
import { loadWrapUp } from "./wrapup.js";

const REFRESH_MS = 3000;
const ACTIVITY_EVERY_MS = 60000; // clicks and key presses renew the idle time at most this often
const WARN_BEFORE_SECONDS = 120;

let heartbeatMs = 10000;
let idleSeconds = 1800;
let lastActivity = 0;
const timers = { heartbeat: null, refresh: null };

function waitText(seconds) {
  if (!(seconds > 0)) return t("wait_a_while");
  if (seconds < 90) return t("wait_seconds", { n: seconds });
  return t("wait_minutes", { n: Math.ceil(seconds / 60) });
}

function signInError(result) {
  if (result.status === 429) return t("signin_too_many", { wait: waitText(result.retryAfter) });
  if (result.status === 401) return t("signin_wrong");
  if (result.status === 422) return t("signin_incomplete");
  return t("signin_failed");
}

function showIdleWarning(secondsLeft) {
  const warnAt = Math.min(WARN_BEFORE_SECONDS, Math.floor(idleSeconds / 4));
  el.idleWarning.hidden = !(secondsLeft <= warnAt);
}

function heartbeat() {
  if (!state.token) return;
  call("POST", "/staff/heartbeat").then(
    (result) => {
      if (!result.ok || !result.body) return;
      showIdleWarning(result.body.idle_seconds_left);
      const open = result.body.open_now;
      el.status.textContent = `${open ? t("open_now") : t("closed_now")} · ${t("on_duty", {
        n: result.body.staff_on_duty,
      })}`;
      el.status.classList.toggle("closed", !open);
    },
    () => {},
  );
}

// The languages' own names, to show beside each conversation.
function loadLanguages() {
  call("GET", "/widget/config").then(
    (result) => {
      const list = (result.body && result.body.languages) || [];
      for (const lang of list) {
        if (lang && typeof lang.code === "string") state.languages[lang.code] = String(lang.name);
      }
    },
    () => {},
  );
}

function showConsole(name) {
  el.who.textContent = name;
  el.signinView.hidden = true;
  el.consoleView.hidden = false;
  el.signOut.hidden = false;
  loadLanguages();
  loadWrapUp();
  showRoleViews(state.role);
  heartbeat();
  refresh();
  timers.heartbeat = setInterval(heartbeat, heartbeatMs);
  timers.refresh = setInterval(refresh, REFRESH_MS);
}

export function signIn(event) {
  event.preventDefault();
  const token = el.tokenInput.value.trim();
  const code = el.codeInput.value.replace(/\s+/g, "");
  if (!token) {
    el.signinError.textContent = t("token_missing");
    el.tokenInput.focus();
    return;
  }
  if (!/^[0-9]{6}$/.test(code)) {
    el.signinError.textContent = t("code_invalid");
    el.codeInput.focus();
    return;
  }
  // Neither the account token nor the code is kept, not even in the fields.
  el.tokenInput.value = "";
  el.codeInput.value = "";
  el.signinButton.disabled = true;
  el.signinError.textContent = "";
  call("POST", "/staff/login", { token, code })
    .then((result) => {
      if (!result.ok || !result.body) {
        el.signinError.textContent = signInError(result);
        el.tokenInput.focus();
        return;
      }
      state.token = result.body.token;
      state.role = result.body.role || "staff";
      heartbeatMs = Math.max(1000, (result.body.heartbeat_seconds || 10) * 1000);
      idleSeconds = result.body.idle_timeout_seconds || idleSeconds;
      lastActivity = Date.now();
      showConsole(result.body.name);
    })
    .catch(() => {
      el.signinError.textContent = t("server_unreachable");
    })
    .then(() => {
      el.signinButton.disabled = false;
    });
}

export function stillHere() {
  if (!state.token) return;
  lastActivity = Date.now();
  call("POST", "/staff/still-here").then(
    (result) => {
      if (result.ok) el.idleWarning.hidden = true;
    },
    () => {},
  );
}

// The person at the console did something: renew the idle time (at most once a minute).
export function activity() {
  if (!state.token || Date.now() - lastActivity < ACTIVITY_EVERY_MS) return;
  stillHere();
}

// Forgets everything in memory and shows the sign-in form again, with `message`.
export function endLocally(message) {
  clearInterval(timers.heartbeat);
  clearInterval(timers.refresh);
  closeChat();
  resetAlerts();
  forgetLimit();
  hideRoleViews();
  state.token = null;
  state.role = null;
  el.idleWarning.hidden = true;
  el.queue.textContent = "";
  el.mine.textContent = "";
  el.who.textContent = "";
  el.consoleView.hidden = true;
  el.signOut.hidden = true;
  el.signinView.hidden = false;
  el.signinError.textContent = message;
  el.tokenInput.focus();
}

export function signOut() {
  const done = () => endLocally("");
  call("POST", "/staff/logout").then(done, done);
}
