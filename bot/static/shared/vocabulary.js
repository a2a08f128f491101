// The handoff's vocabulary, generated from bot/handoff/states.py by
// scripts/generate_vocabulary.py: do not edit by hand (a test fails when they differ).

export const HandoffState = Object.freeze({
  NONE: "none",
  QUEUED: "queued",
  ACTIVE: "active",
  RELEASED: "released",
  CLOSED: "closed",
});

export const EventKind = Object.freeze({
  TEXT: "text",
  NO_STAFF: "no_staff",
  WAIT_LONG: "wait_long",
  JOINED: "joined",
  REQUEUED: "requeued",
  RELEASED: "released",
  CLOSED: "closed",
  LEFT: "left",
  GONE: "gone",
  NOTE: "note",
  TRANSFERRED: "transferred",
  TRANSFERRED_TO_QUEUE: "transferred_to_queue",
  BOT_HISTORY: "bot_history",
});

export const Side = Object.freeze({
  PERSON: "person",
  STAFF: "staff",
  SYSTEM: "system",
  BOT: "bot",
});

// The states in which a person waits for or talks with staff.
export const OPEN_STATES = Object.freeze(["active", "queued"]);

// The events after which a handoff is over for each side.
export const HANDOFF_ENDS = Object.freeze({
  person: Object.freeze(["closed", "gone", "left", "released"]),
  staff: Object.freeze(["closed", "gone", "left", "released", "requeued", "transferred", "transferred_to_queue"]),
});
