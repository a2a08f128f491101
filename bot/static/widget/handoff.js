// Talking with a person instead of the bot: the handoff's status line, its live events (staff
// messages, joined, released, ...), and leaving the queue or the chat.
import { EventFeed } from "../shared/event-feed.js";
import { EventKind, HANDOFF_ENDS, HandoffState, OPEN_STATES, Side } from "../shared/vocabulary.js";
import { call } from "./api.js";
import { fillText } from "./links.js";
import { addMessage, scrollToShow, showNotice, systemLine } from "./messages.js";
import { SESSION_GONE, forgetSession } from "./session.js";
import { el, state } from "./state.js";
import { retryText, t } from "./texts.js";

const EVENT_RETRY_MS = [1000, 2000, 4000, 8000];

const STATUS_TEXTS = {
  [HandoffState.QUEUED]: "handoff_queued",
  [HandoffState.ACTIVE]: "handoff_active",
};

// What the person reads after each event; `offersChoice`: whether to keep the place in the
// queue or leave it is asked too (no one can answer soon).
const EVENT_TEXTS = new Map([
  [EventKind.JOINED, { key: "handoff_joined", offersChoice: false }],
  [EventKind.RELEASED, { key: "handoff_released", offersChoice: false }],
  [EventKind.CLOSED, { key: "handoff_closed", offersChoice: false }],
  [EventKind.LEFT, { key: "handoff_left", offersChoice: false }],
  [EventKind.REQUEUED, { key: "handoff_requeued", offersChoice: false }],
  [EventKind.TRANSFERRED, { key: "handoff_transferred", offersChoice: false }],
  [EventKind.TRANSFERRED_TO_QUEUE, { key: "handoff_transferred_to_queue", offersChoice: false }],
  [EventKind.NO_STAFF, { key: "handoff_no_staff", offersChoice: true }],
  [EventKind.WAIT_LONG, { key: "handoff_wait_long", offersChoice: true }],
]);

// While queued the server sends the person's place in line (`queue` in a poll's answer, and a
// `queue` event on the stream whenever it changes; never an id, so the cursor is untouched).
const QUEUE_EVENT = "queue";

function handoffOpen() {
  return OPEN_STATES.includes(state.handoff);
}

// A rough wait as words, never a promise: a few minutes, about N minutes (rounded to 1 up to
// ten, then to 5, then to 10), more than an hour; or honestly no guess.
function waitText(seconds, staffed) {
  if (!staffed) return t("queue_unstaffed");
  if (typeof seconds !== "number") return t("queue_wait_unknown");
  const minutes = seconds / 60;
  if (minutes < 2.5) return t("queue_wait_short");
  if (minutes > 60) return t("queue_wait_long");
  const step = minutes <= 10 ? 1 : minutes <= 30 ? 5 : 10;
  const n = Math.round(minutes / step) * step;
  const text = t(n <= 10 ? "queue_wait_few" : "queue_wait_many");
  return text === null ? null : text.replace("{n}", String(n));
}

// The lines open now, each as the registry describes it in the person's language (with links).
function openLines(ids) {
  const all = (state.config && state.config.lines) || {};
  const own = all[state.lang] || all[state.config && state.config.default_lang] || {};
  return (Array.isArray(ids) ? ids : []).map((id) => own[id]).filter((line) => line && line.text);
}

function queueBox() {
  let box = document.getElementById("handoff-queue");
  if (box) return box;
  box = document.createElement("div");
  box.id = "handoff-queue";
  box.className = "handoff-queue";
  box.hidden = true;
  const status = document.createElement("div");
  status.className = "queue-status";
  status.setAttribute("aria-live", "polite"); // the place and the wait, read when they change
  const place = document.createElement("p");
  place.className = "queue-place";
  const wait = document.createElement("p");
  wait.className = "queue-wait";
  status.append(place, wait);
  const lines = document.createElement("div");
  lines.className = "queue-lines";
  box.append(status, lines);
  el.handoff.after(box);
  return box;
}

export function renderQueue() {
  const queue = state.queue;
  const shown = state.handoff === HandoffState.QUEUED && queue && Number.isInteger(queue.position);
  const box = queueBox();
  const chat = el.chat;
  // Someone reading the end of the chat keeps seeing it as the box grows.
  const atEnd = chat && chat.scrollHeight - chat.clientHeight - chat.scrollTop < 40;
  box.hidden = !shown;
  if (!shown) return;
  const place =
    queue.position === 1 ? t("queue_next") : (t("queue_place") || "").replace("{n}", queue.position);
  box.querySelector(".queue-place").textContent = place || "";
  box.querySelector(".queue-wait").textContent =
    waitText(queue.estimated_wait_seconds, queue.staffed) || "";
  const lines = box.querySelector(".queue-lines");
  lines.textContent = "";
  const open = openLines(queue.lines_open);
  if (!open.length) {
    if (atEnd) chat.scrollTop = chat.scrollHeight;
    return;
  }
  const intro = document.createElement("p");
  intro.className = "queue-lines-intro";
  intro.textContent = t("queue_lines_intro") || "";
  const list = document.createElement("ul");
  for (const line of open) {
    const item = document.createElement("li");
    item.dir = "auto";
    fillText(item, line.text, line.links);
    list.appendChild(item);
  }
  lines.append(intro, list);
  if (atEnd) chat.scrollTop = chat.scrollHeight;
}

function setQueue(queue) {
  state.queue = queue && typeof queue === "object" ? queue : null;
  renderQueue();
}

export function renderHandoff() {
  const key = STATUS_TEXTS[state.handoff];
  const text = key ? t(key) : null;
  el.handoff.textContent = text || "";
  el.handoff.classList.toggle("is-active", state.handoff === HandoffState.ACTIVE);
  // Never `hidden`: a live region must stay in the accessibility tree to be announced.
  el.handoffLeave.hidden = !handoffOpen();
  const leaveLabel = t(state.handoff === HandoffState.ACTIVE ? "handoff_end" : "handoff_leave");
  if (leaveLabel !== null) el.handoffLeave.textContent = leaveLabel;
  renderQueue();
}

// The handoff's state as the server gave it; its events are followed while it is open.
export function setHandoff(value) {
  if (typeof value !== "string" || state.exiting) return;
  state.handoff = value;
  renderHandoff();
  if (handoffOpen()) startFeed();
}

// Keep the place in the queue, or leave it: offered when no one can answer soon.
function addHandoffChoice() {
  const group = document.createElement("div");
  group.className = "reply-buttons handoff-choice";
  for (const [key, choose] of [
    ["handoff_keep", keepPlace],
    ["handoff_leave", leaveHandoff],
  ]) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = "reply-button";
    node.textContent = t(key) || key;
    node.addEventListener("click", () => {
      group.remove();
      choose();
    });
    group.appendChild(node);
  }
  el.messages.appendChild(group);
}

function clearHandoffChoice() {
  for (const group of el.messages.querySelectorAll(".handoff-choice")) group.remove();
}

function keepPlace() {
  scrollToShow(systemLine("handoff_kept"));
}

export async function leaveHandoff() {
  const session = state.session;
  if (!session || state.exiting) return;
  el.handoffLeave.disabled = true;
  try {
    const path = `/sessions/${encodeURIComponent(session.id)}/handoff/leave`;
    const result = await call("POST", path, { payload: {}, token: session.token });
    // The feed shows "you have left" when the `left` event arrives.
    if (result.ok && result.body) setHandoff(result.body.handoff);
    startFeed(true);
  } catch {
    showNotice(retryText());
  }
  el.handoffLeave.disabled = false;
}

// The handoff's state after an event, or "" when the event does not change it.
function stateAfter(kind) {
  if (kind === EventKind.JOINED) return HandoffState.ACTIVE;
  if (kind === EventKind.REQUEUED || kind === EventKind.TRANSFERRED_TO_QUEUE) {
    return HandoffState.QUEUED;
  }
  return HANDOFF_ENDS[Side.PERSON].includes(kind) ? HandoffState.NONE : "";
}

// Shows one event once; returns false when the handoff is over for the person.
function handleEvent(feed, event) {
  if (!event || typeof event.kind !== "string" || state.exiting) return true;
  if (!feed.isNew(event)) return true;
  if (event.kind === QUEUE_EVENT) {
    setQueue(event.queue);
    return handoffOpen();
  }
  let node = null;
  const shown = EVENT_TEXTS.get(event.kind);
  if (event.kind === EventKind.TEXT && typeof event.text === "string") {
    clearHandoffChoice();
    node = addMessage("staff", event.text);
  } else if (shown) {
    if (!shown.offersChoice) clearHandoffChoice(); // a new choice joins one still open
    node = systemLine(shown.key);
    if (node && shown.offersChoice) addHandoffChoice();
  }
  const next = stateAfter(event.kind);
  if (next) {
    state.handoff = next;
    renderHandoff();
  }
  if (node) scrollToShow(node);
  return handoffOpen();
}

// The feed found the session expired: say so once and go back to the bot; the next message
// starts a new session.
function sessionExpired() {
  if (state.exiting || !state.session) return;
  forgetSession();
  clearHandoffChoice();
  state.handoff = HandoffState.NONE;
  renderHandoff();
  scrollToShow(systemLine("session_expired"));
}

function newFeed(session) {
  // True when the session is gone: the person is told, and the feed ends.
  const expired = (status) => {
    if (status !== SESSION_GONE || state.session !== session) return false;
    sessionExpired();
    return true;
  };
  const feed = new EventFeed({
    path: `/sessions/${encodeURIComponent(session.id)}/events`,
    token: session.token,
    get: (path) => call("GET", path, { token: session.token }),
    onEvent: (event) => handleEvent(feed, event),
    onPolled: (result) => {
      if (expired(result.status)) return false;
      if (!result.ok || !result.body) return true;
      const events = Array.isArray(result.body.events) ? result.body.events : [];
      events.forEach((event) => handleEvent(feed, event));
      if (typeof result.body.handoff === "string") {
        state.handoff = result.body.handoff;
        state.queue = result.body.queue || null;
        renderHandoff();
      }
      return handoffOpen();
    },
    isOpen: handoffOpen,
    refused: expired,
    retryMs: EVENT_RETRY_MS,
  });
  return feed;
}

// Follows the handoff's events (after leaving it: `pollFirst`, to fetch the `left` event).
function startFeed(pollFirst = false) {
  const session = state.session;
  if (!session || state.exiting) return;
  if (!state.feed) state.feed = newFeed(session);
  state.feed.start({ pollFirst });
}

