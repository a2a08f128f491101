// The console's requests: the shared helper with the console session's token. A 401 means the
// session ended (signed out elsewhere, revoked, or idle too long), so the console signs out too.
import { call as request } from "../shared/api.js";
import { state } from "./state.js";

let sessionEnded = () => {};

// What to do when the server no longer knows the console session (set once at start).
export function whenSessionEnds(handler) {
  sessionEnded = handler;
}

export async function call(method, path, payload) {
  const result = await request(method, path, { payload, token: state.token });
  if (result.status === 401 && state.token && !path.includes("/staff/login")) sessionEnded();
  return result;
}

// The server's own message for a refusal, or `fallback`.
export function errorText(result, fallback) {
  const error = result && result.body && result.body.error;
  return (error && typeof error.message === "string" && error.message) || fallback;
}
