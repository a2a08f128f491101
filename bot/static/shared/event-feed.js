// A handoff's live events, for the widget and the console alike. A fetch() stream of
// Server-Sent Events, because the token must go in a header and never in the address (which
// EventSource cannot do); it resumes after the last event seen (Last-Event-ID), and the feed
// polls instead once streams keep failing (a proxy that buffers or cuts them).
import { API, PRIVATE_FETCH } from "./api.js";

// The server sends a keep-alive every 15 s: a stream silent for longer is dead.
const STREAM_SILENCE_MS = 45000;
const STREAM_FAILURES_BEFORE_POLLING = 3;
const POLL_MS = 2500;

function streamsWork() {
  return Boolean(window.ReadableStream && window.TextDecoder && window.AbortController);
}

// The data of one Server-Sent Event block, or null when it has none (a keep-alive comment).
function dataOf(block) {
  const lines = block
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).replace(/^ /, ""));
  return lines.length ? lines.join("\n") : null;
}

export class EventFeed {
  // path: the events' address under the API; token: the bearer token for the stream;
  // get(path): a polling request, answered like shared/api.js's call();
  // onEvent(event): shows one event, false once the handoff is over for this side;
  // onPolled(result): reads a poll's answer, false to stop polling;
  // isOpen(): whether the handoff is still open when a stream ends by itself;
  // refused(status): true when the page dealt with a refused stream (the session is gone);
  // retryMs: how long to wait before reconnecting, by the number of failures in a row.
  constructor({ path, token, get, onEvent, onPolled, isOpen, refused, retryMs }) {
    this.path = path;
    this.token = token;
    this.get = get;
    this.onEvent = onEvent;
    this.onPolled = onPolled;
    this.isOpen = isOpen || (() => true);
    this.refused = refused || (() => false);
    this.retryMs = retryMs || [1000, 2000, 4000];
    this.running = false;
    // Delivery is at least once: the last event id seen is the cursor, and every id shown is
    // remembered so an event delivered twice is shown once.
    this.cursor = null;
    this.seen = new Set();
    this.failures = 0;
    this.polling = false;
    this.abort = null;
    this.timer = null;
  }

  // True the first time an event's id comes (or when it has none); moves the cursor.
  isNew(event) {
    if (typeof event.id !== "string" || !event.id) return true;
    if (this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    this.cursor = event.id;
    return true;
  }

  start({ pollFirst = false } = {}) {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    if (pollFirst) this.poll();
    else this.connect();
  }

  // The handoff is over: no reconnecting and no polling; a stream being read runs out by
  // itself (the server ends it after the event that ended the handoff).
  finish() {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = null;
  }

  // Stop at once, the stream being read too.
  stop() {
    this.finish();
    if (this.abort) this.abort.abort();
    this.abort = null;
  }

  async connect() {
    if (!this.running) return;
    if (this.polling || !streamsWork()) {
      this.poll();
      return;
    }
    const controller = new AbortController();
    this.abort = controller;
    let watchdog = null;
    const resetWatchdog = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
    };
    const headers = { Accept: "text/event-stream", Authorization: `Bearer ${this.token}` };
    if (this.cursor) headers["Last-Event-ID"] = this.cursor;
    let clean = true;
    let open = true;
    resetWatchdog();
    try {
      const response = await fetch(API + this.path, {
        headers,
        ...PRIVATE_FETCH,
        signal: controller.signal,
      });
      if (response.ok || !this.refused(response.status)) {
        if (!response.ok || !response.body) throw new Error(`events ${response.status}`);
        this.failures = 0;
        open = await this.read(response.body, resetWatchdog);
      }
    } catch {
      this.failures += 1;
      clean = false;
    }
    clearTimeout(watchdog);
    if (this.abort === controller) this.abort = null;
    if (!this.running) return;
    if (clean && (!open || !this.isOpen())) {
      this.running = false; // the handoff is over: the stream ended by itself
      return;
    }
    if (this.failures >= STREAM_FAILURES_BEFORE_POLLING) this.polling = true;
    const retries = this.retryMs;
    const wait = clean ? retries[0] : retries[Math.min(this.failures, retries.length - 1)];
    this.timer = setTimeout(() => this.connect(), wait);
  }

  // Reads the stream to its end; false when an event ended the handoff for this side.
  async read(body, onChunk) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let open = true;
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return open;
      onChunk();
      buffer += decoder.decode(chunk.value, { stream: true });
      const blocks = buffer.split("\n\n");
      buffer = blocks.pop();
      for (const block of blocks) {
        const data = dataOf(block);
        if (data === null) continue;
        try {
          open = this.onEvent(JSON.parse(data)) !== false && open;
        } catch {
          /* a broken event is skipped; the cursor brings it again if it matters */
        }
      }
    }
  }

  // The fallback: ask for the events after the cursor every few seconds.
  async poll() {
    if (!this.running) return;
    let more = true;
    try {
      const after = this.cursor ? `?after=${encodeURIComponent(this.cursor)}` : "";
      more = this.onPolled(await this.get(this.path + after)) !== false;
    } catch {
      /* lost: ask again at the next poll */
    }
    if (!more) {
      this.running = false;
      return;
    }
    if (this.running) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }
}
