// The statistics for supervisors: counts per day and in total for a period, from counters
// that hold no content (GET /api/v1/staff/stats), and the same figures as a CSV download.
import { API, PRIVATE_FETCH } from "../shared/api.js";
import { elementsById } from "../shared/dom.js";
import { call, errorText } from "./api.js";
import { state } from "./state.js";
import { named, t } from "./texts.js";
import { wrapUpLabel } from "./wrapup.js";

let el = null;

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function query() {
  return `?from=${encodeURIComponent(el.from.value)}&to=${encodeURIComponent(el.to.value)}`;
}

function cell(row, text, header) {
  const made = document.createElement(header ? "th" : "td");
  made.textContent = String(text);
  if (header) made.scope = "row";
  row.appendChild(made);
}

function table(caption, rows) {
  const made = document.createElement("table");
  const title = document.createElement("caption");
  title.textContent = caption;
  made.appendChild(title);
  for (const [name, value] of rows) {
    const row = document.createElement("tr");
    cell(row, name, true);
    cell(row, value, false);
    made.appendChild(row);
  }
  el.out.appendChild(made);
}

function duration(measure) {
  if (!measure.count) return "–";
  const median = measure.median_at_most_seconds;
  const mean = t("minutes", { n: Math.round(measure.mean_seconds / 60) });
  return median === null
    ? t("stats_mean", { mean })
    : t("stats_median", { median: t("minutes", { n: Math.round(median / 60) }), mean });
}

function render(report) {
  el.out.textContent = "";
  const totals = report.totals;
  table(t("stats_totals"), [
    [t("stats_ended"), totals.ended],
    ...Object.entries(totals.how).map(([how, n]) => [named("stats_how_", how), n]),
    [t("stats_requeued"), totals.requeued],
    [t("stats_danger"), totals.danger_flagged],
    [t("stats_waited"), duration(totals.waited)],
    [t("stats_handled"), duration(totals.handled)],
    [t("stats_unanswered"), duration(totals.waited_unanswered)],
  ]);
  table(
    t("stats_languages"),
    Object.entries(totals.languages).map(([code, n]) => [state.languages[code] || code, n]),
  );
  table(
    t("wrapup_categories"),
    Object.entries(totals.categories).map(([id, n]) => [wrapUpLabel(id), n]),
  );
  table(
    t("wrapup_outcome"),
    Object.entries(totals.outcomes).map(([id, n]) => [wrapUpLabel(id), n]),
  );
  table(
    t("stats_danger"),
    Object.entries(totals.risk).map(([kind, n]) => [named("risk_", kind), n]),
  );
  table(
    t("stats_per_day"),
    report.days.map((day) => [day.day, day.ended]),
  );
}

function show(event) {
  event.preventDefault();
  el.error.textContent = "";
  call("GET", `/staff/stats${query()}`).then(
    (result) => {
      if (result.ok && result.body) render(result.body);
      else el.error.textContent = errorText(result, t("failed"));
    },
    () => {
      el.error.textContent = t("server_unreachable");
    },
  );
}

// The CSV through fetch (the console session token travels in a header, never in an address),
// handed to the browser as a file from memory.
async function download() {
  el.error.textContent = "";
  try {
    const response = await fetch(`${API}/staff/stats${query()}`, {
      headers: { Accept: "text/csv", Authorization: `Bearer ${state.token}` },
      ...PRIVATE_FETCH,
    });
    if (!response.ok) {
      el.error.textContent = t("failed");
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = `hrv-stats-${el.from.value}-${el.to.value}.csv`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch {
    el.error.textContent = t("server_unreachable");
  }
}

export function initStats() {
  if (el) return;
  el = elementsById({
    form: "stats-form",
    from: "stats-from",
    to: "stats-to",
    csv: "stats-csv",
    error: "stats-error",
    out: "stats-out",
  });
  const today = new Date();
  el.to.value = isoDay(today);
  el.from.value = isoDay(new Date(today.getTime() - 6 * 86400000));
  el.form.addEventListener("submit", show);
  el.csv.addEventListener("click", download);
}
