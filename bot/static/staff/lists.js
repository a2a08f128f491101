// The two lists: the queue (first in line first) and the conversations this account holds,
// refreshed every few seconds while signed in.
import { noticeHeld, noticeQueue } from "./alerts.js";
import { call } from "./api.js";
import { applyCapacity, loadLimit } from "./capacity.js";
import { el, state } from "./state.js";
import { named, t } from "./texts.js";

function minutes(seconds) {
  const m = Math.floor(seconds / 60);
  return m < 1 ? t("under_a_minute") : t("minutes", { n: m });
}

// The queue's place in line (1 = next; the server's order: danger first, then waiting time).
function placeOf(item) {
  const node = document.createElement("span");
  node.className = "position";
  node.textContent = t("queue_position", { n: item.position });
  node.setAttribute("aria-label", t("queue_position_label", { n: item.position }));
  return node;
}

// A person whose page has gone quiet a while: maybe not there when claimed.
function awayMark() {
  const node = document.createElement("span");
  node.className = "away";
  node.textContent = t("away");
  return node;
}

function renderList(list, items, queued) {
  list.textContent = "";
  for (const item of items) {
    const row = document.createElement("li");
    const classes = ["item"];
    if (item.handoff_id === state.selected) classes.push("selected");
    if (item.away) classes.push("is-away");
    if (item.risk) classes.push("is-risk");
    row.className = classes.join(" ");
    row.setAttribute("data-handoff", item.handoff_id);
    if (item.risk) row.setAttribute("data-risk", item.risk);
    const facts = document.createElement("span");
    facts.className = "facts";
    if (queued && Number.isInteger(item.position)) facts.append(placeOf(item), " ");
    const lang = document.createElement("span");
    lang.className = "lang";
    lang.textContent = state.languages[item.lang] || item.lang;
    const reason = document.createElement("span");
    const risky = item.reason === "danger" || Boolean(item.risk);
    reason.className = `reason${risky ? " danger" : ""}`;
    reason.textContent = item.risk ? named("risk_", item.risk) : named("reason_", item.reason);
    const wait = document.createElement("span");
    wait.className = "wait";
    wait.textContent = t("waited", { time: minutes(item.waiting_seconds) });
    facts.append(lang, " · ", reason, " · ", wait);
    if (item.channel && item.channel !== "widget") facts.append(` · ${item.channel}`);
    if (queued && item.away) facts.append(" · ", awayMark());
    row.appendChild(facts);
    const button = document.createElement("button");
    button.type = "button";
    button.className = queued ? "claim" : "open quiet";
    button.textContent = queued ? t("claim") : t("show");
    if (queued && state.atCapacity) {
      button.disabled = true;
      button.title = t("at_capacity_short");
    }
    row.appendChild(button);
    list.appendChild(row);
  }
}

// The handoff id and the button when a click landed on a row's button, else null.
export function chosenItem(event) {
  const button = event.target.closest("button");
  const row = button && button.closest("[data-handoff]");
  return row ? { id: row.getAttribute("data-handoff"), button } : null;
}

export async function refresh() {
  if (!state.token) return;
  try {
    const [queued, mine] = await Promise.all([
      call("GET", "/handoffs?state=queued"),
      call("GET", "/handoffs?state=active"),
    ]);
    if (!state.token) return;
    if (!queued.ok || !mine.ok) {
      el.listError.textContent = t("list_failed");
      return;
    }
    el.listError.textContent = "";
    loadLimit();
    applyCapacity(mine.body.length);
    noticeQueue(queued.body);
    noticeHeld(mine.body, state.selected);
    renderList(el.queue, queued.body, true);
    renderList(el.mine, mine.body, false);
    el.queueCount.textContent = `(${queued.body.length})`;
    el.queueEmpty.hidden = queued.body.length > 0;
    el.mineEmpty.hidden = mine.body.length > 0;
  } catch {
    el.listError.textContent = t("server_unreachable");
  }
}
