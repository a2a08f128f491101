// What a supervisor's console has beyond a staff member's: a bar to switch between the chats,
// every open chat (supervision.js) and the statistics (stats.js). Shown only to supervisors:
// the role comes with the sign-in, and the server refuses these calls to staff in any case.
import { startSupervision, stopSupervision } from "./supervision.js";
import { initStats } from "./stats.js";

const VIEWS = ["console-view", "supervision-view", "stats-view"];
let bar = null;

function show(id) {
  for (const view of VIEWS) document.getElementById(view).hidden = view !== id;
  for (const button of bar.querySelectorAll("button[data-view]")) {
    button.setAttribute("aria-pressed", String(button.getAttribute("data-view") === id));
  }
  if (id === "supervision-view") startSupervision();
  else stopSupervision();
}

export function showRoleViews(role) {
  bar = document.getElementById("views");
  if (role !== "supervisor") return;
  if (!bar.dataset.ready) {
    bar.dataset.ready = "1";
    bar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-view]");
      if (button) show(button.getAttribute("data-view"));
    });
    initStats();
  }
  bar.hidden = false;
  show("console-view");
}

export function hideRoleViews() {
  stopSupervision();
  if (!bar) return;
  bar.hidden = true;
  for (const view of VIEWS.slice(1)) document.getElementById(view).hidden = true;
}
