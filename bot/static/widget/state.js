// What the widget knows, in memory only: the session id and token never go in cookies,
// localStorage, sessionStorage or IndexedDB, so nothing is left on the device.
import { HandoffState } from "../shared/vocabulary.js";

export const state = {
  config: null,
  lang: document.documentElement.lang || "sv",
  langPicked: false, // the person chose a language: send it with every message from now on
  session: null, // {id, token}
  exiting: false,
  handoff: HandoffState.NONE,
  queue: null, // while queued: {position, estimated_wait_seconds, staffed, lines_open}
  feed: null, // the session's handoff events (shared/event-feed.js), made when first needed
};

// The page's elements, looked up once at start (main.js).
export const el = {};
