// Every open chat for a supervisor: the queue and who holds each active chat, refreshed every
// few seconds; any chat's transcript read-only (polled), without claiming it; writing into an
// active chat beside its holder; ending any open chat with the wrap-up. A queued chat is taken
// like any staff member takes one. What a person wrote is shown as text, never as HTML.
import { elementsById } from "../shared/dom.js";
import { randomId } from "../shared/ids.js";
import { EventKind, HandoffState, Side } from "../shared/vocabulary.js";
import { call, errorText } from "./api.js";
import { claim } from "./chat.js";
import { state } from "./state.js";
import { has, named, riskText, t } from "./texts.js";
import { askWrapUp } from "./wrapup.js";

const LIST_MS = 3000;
const WATCH_MS = 2000;
const BASE = "/supervision/handoffs";

let el = null;
const timers = { list: null, watch: null };
let watched = null; // {id, cursor, seen: Set, ended}

function path(id, rest) {
  return `${BASE}/${encodeURIComponent(id)}/${rest}`;
}

function minutes(seconds) {
  const m = Math.floor(seconds / 60);
  return m < 1 ? t("under_a_minute") : t("minutes", { n: m });
}

function describe(item) {
  const lang = state.languages[item.lang] || item.lang;
  const why = item.risk ? named("risk_", item.risk) : named("reason_", item.reason);
  const where =
    item.state === HandoffState.QUEUED
      ? t("waited", { time: minutes(item.waiting_seconds) })
      : t("held_by", { name: item.claimed_by });
  return `${lang} · ${why} · ${where}`;
}

function button(text, className, action) {
  const made = document.createElement("button");
  made.type = "button";
  made.className = className;
  made.textContent = text;
  made.setAttribute("data-action", action);
  return made;
}

function render(items) {
  el.list.textContent = "";
  for (const item of items) {
    const row = document.createElement("li");
    row.className = `item${watched && watched.id === item.handoff_id ? " selected" : ""}`;
    row.setAttribute("data-handoff", item.handoff_id);
    row.setAttribute("data-state", item.state);
    const facts = document.createElement("span");
    facts.className = `facts${item.risk ? " danger" : ""}`;
    facts.textContent = describe(item);
    row.appendChild(facts);
    row.appendChild(button(t("watch"), "open quiet", "watch"));
    if (item.state === HandoffState.QUEUED) row.appendChild(button(t("claim"), "claim", "take"));
    el.list.appendChild(row);
  }
  el.empty.hidden = items.length > 0;
}

async function refreshList() {
  try {
    const result = await call("GET", BASE);
    if (!result.ok || !Array.isArray(result.body)) {
      el.listError.textContent = errorText(result, t("list_failed"));
      return;
    }
    el.listError.textContent = "";
    render(result.body);
  } catch {
    el.listError.textContent = t("server_unreachable");
  }
}

function addLine(event) {
  const line = document.createElement("div");
  let kind = "system";
  let who = "";
  if (event.kind === EventKind.TEXT) {
    const flags = Array.isArray(event.flags) ? event.flags : [];
    const staff = event.from === Side.STAFF;
    kind = staff ? "staff" : "person";
    const risk = staff ? "" : riskText(flags);
    if (staff) who = flags.includes("supervisor") ? t("supervisor") : t("staff_member");
    else who = risk ? t("person_flagged", { risk }) : t("person");
    if (risk) kind += " danger";
  } else if (!has(`system_${event.kind}`)) {
    return;
  }
  line.className = `line ${kind}`;
  if (who) {
    const from = document.createElement("span");
    from.className = "from";
    from.textContent = who;
    line.appendChild(from);
  }
  const body = document.createElement("span");
  body.className = "text";
  body.dir = "auto";
  body.textContent = event.kind === EventKind.TEXT ? String(event.text) : t(`system_${event.kind}`);
  line.appendChild(body);
  el.transcript.appendChild(line);
  el.transcript.scrollTop = el.transcript.scrollHeight;
}

function setEnded(chat) {
  chat.ended = true;
  el.joinText.disabled = true;
  el.joinSend.disabled = true;
  el.close.disabled = true;
  el.error.textContent = t("watch_ended");
  clearInterval(timers.watch);
}

async function pollWatched(chat) {
  if (watched !== chat || chat.ended) return;
  const query = chat.cursor ? `?after=${encodeURIComponent(chat.cursor)}` : "";
  try {
    const result = await call("GET", path(chat.id, "messages") + query);
    if (watched !== chat) return;
    if (!result.ok) {
      if ([404, 409].includes(result.status)) setEnded(chat);
      else el.error.textContent = errorText(result, t("chat_failed"));
      return;
    }
    const handoff = result.body.handoff;
    el.meta.textContent = describe(handoff);
    const active = handoff.state === HandoffState.ACTIVE;
    el.joinText.disabled = !active;
    el.joinSend.disabled = !active;
    for (const event of result.body.messages) {
      if (chat.seen.has(event.id)) continue;
      chat.seen.add(event.id);
      chat.cursor = event.id;
      addLine(event);
    }
  } catch {
    el.error.textContent = t("server_unreachable");
  }
}

function watch(id) {
  clearInterval(timers.watch);
  const chat = { id, cursor: null, seen: new Set(), ended: false };
  watched = chat;
  el.transcript.textContent = "";
  el.error.textContent = "";
  el.watch.hidden = false;
  el.watchEmpty.hidden = true;
  el.close.disabled = false;
  pollWatched(chat);
  timers.watch = setInterval(() => pollWatched(chat), WATCH_MS);
  refreshList();
}

function join(event) {
  event.preventDefault();
  const chat = watched;
  const text = el.joinText.value.trim();
  if (!chat || chat.ended || !text) return;
  el.joinSend.disabled = true;
  call("POST", path(chat.id, "messages"), { text, msg_id: randomId() }).then(
    (result) => {
      el.joinSend.disabled = false;
      if (result.ok) {
        el.joinText.value = "";
        pollWatched(chat);
      } else {
        el.error.textContent = errorText(result, t("send_failed"));
      }
    },
    () => {
      el.joinSend.disabled = false;
      el.error.textContent = t("send_failed_retry");
    },
  );
}

async function endWatched() {
  const chat = watched;
  if (!chat || chat.ended) return;
  const wrapUp = await askWrapUp();
  if (!wrapUp || watched !== chat) return;
  try {
    const result = await call("POST", path(chat.id, "close"), wrapUp);
    if (result.ok) {
      addLine({ kind: EventKind.CLOSED });
      setEnded(chat);
      el.error.textContent = t("system_closed");
      refreshList();
    } else {
      el.error.textContent = errorText(result, t("failed"));
    }
  } catch {
    el.error.textContent = t("server_unreachable");
  }
}

function setUp() {
  if (el) return;
  el = elementsById({
    list: "supervised",
    empty: "supervised-empty",
    listError: "supervised-error",
    watchEmpty: "watch-empty",
    watch: "watch",
    meta: "watch-meta",
    close: "watch-close",
    transcript: "watch-transcript",
    joinForm: "join-form",
    joinText: "join-text",
    joinSend: "join-send",
    error: "watch-error",
  });
  el.list.addEventListener("click", (event) => {
    const pressed = event.target.closest("button[data-action]");
    const row = pressed && pressed.closest("[data-handoff]");
    if (!row) return;
    const id = row.getAttribute("data-handoff");
    if (pressed.getAttribute("data-action") === "watch") {
      watch(id);
    } else {
      claim(id, pressed);
      document.querySelector('#views button[data-view="console-view"]').click();
    }
  });
  el.joinForm.addEventListener("submit", join);
  el.close.addEventListener("click", endWatched);
}

export function startSupervision() {
  setUp();
  stopSupervision();
  refreshList();
  timers.list = setInterval(refreshList, LIST_MS);
}

export function stopSupervision() {
  clearInterval(timers.list);
  clearInterval(timers.watch);
  timers.list = null;
  if (!el) return;
  watched = null;
  el.list.textContent = "";
  el.transcript.textContent = "";
  el.watch.hidden = true;
  el.watchEmpty.hidden = false;
}
