// The anonymous session: made with the first message, renewed once when it expired, erased on
// the server by the quick exit. Its id and token live in memory only.
import { API, PRIVATE_FETCH } from "../shared/api.js";
import { randomId } from "../shared/ids.js";
import { call } from "./api.js";
import { state } from "./state.js";

// The session expired or was erased: start a new one and send the message again, once.
const RENEW_SESSION_STATUSES = [401, 403, 404];
export const SESSION_GONE = 404; // expired (or erased): the person is told so, kindly, once

// DELETE the session with keepalive, so the request outlives the page that sends it.
export function eraseOnServer(session) {
  try {
    fetch(`${API}/sessions/${encodeURIComponent(session.id)}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${session.token}` },
      keepalive: true,
      ...PRIVATE_FETCH,
    }).catch(() => {});
  } catch {
    /* leaving matters more than the answer */
  }
}

// Null when a session was made, else the failed answer (send() shows it).
async function createSession() {
  const payload = state.langPicked ? { lang: state.lang } : {};
  const result = await call("POST", "/sessions", { payload });
  const body = result.body;
  const usable =
    result.ok && body && typeof body.session_id === "string" && typeof body.token === "string";
  if (!usable) return { ok: false, status: result.status, body };
  const session = { id: body.session_id, token: body.token };
  if (state.exiting) {
    eraseOnServer(session); // created while the page was leaving: erase it too
    return { ok: false, status: 0, body: null };
  }
  state.session = session;
  return null;
}

// Drops the session here, and its live events; returns it (the quick exit erases it).
export function forgetSession() {
  const session = state.session;
  state.session = null;
  unconfirmed = null;
  if (state.feed) state.feed.stop();
  state.feed = null;
  return session;
}

function postMessage(text, msgId) {
  const payload = { text, msg_id: msgId };
  if (state.langPicked) payload.lang = state.lang;
  const session = state.session;
  return call("POST", `/sessions/${encodeURIComponent(session.id)}/messages`, {
    payload,
    token: session.token,
  });
}

// The last message that was not confirmed (refused, or no answer): sent again, it keeps its id,
// so a message the server did store (its answer was lost, or a replica did not confirm it in
// time) is stored once.
let unconfirmed = null;

function idFor(text) {
  return unconfirmed && unconfirmed.text === text ? unconfirmed.msgId : randomId();
}

// Sends one message: makes the session first if there is none, renews it once if it expired.
// The answer has `expired` set when the old session was gone.
export async function deliver(text) {
  const msgId = idFor(text);
  unconfirmed = { text, msgId };
  const result = await deliverOnce(text, msgId);
  if (result.ok) unconfirmed = null;
  return result;
}

async function deliverOnce(text, msgId) {
  if (!state.session) {
    const failure = await createSession();
    if (failure) return failure;
  }
  const result = await postMessage(text, msgId);
  if (!RENEW_SESSION_STATUSES.includes(result.status) || state.exiting) return result;
  const expired = result.status === SESSION_GONE;
  forgetSession();
  const renewFailure = await createSession();
  if (renewFailure) return renewFailure;
  const renewed = await postMessage(text, msgId);
  renewed.expired = expired;
  return renewed;
}
