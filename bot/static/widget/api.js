// The widget's requests: the shared helper with a time limit, so a hanging request fails like
// a lost one and the person sees the retry text, not dots.
import { call as request } from "../shared/api.js";

const REQUEST_TIMEOUT_MS = 30000;

export function call(method, path, { payload, token } = {}) {
  return request(method, path, { payload, token, timeoutMs: REQUEST_TIMEOUT_MS });
}
