// The JSON requests of the widget and the console.

export const API = "/api/v1";

// Every request: nothing from it cached, no cookies sent or kept, no referrer.
export const PRIVATE_FETCH = Object.freeze({
  cache: "no-store",
  credentials: "omit",
  referrerPolicy: "no-referrer",
});

// One request to the API. Resolves to {ok, status, body, retryAfter} whatever the status (body
// null when the answer is not JSON); rejects only when nothing came back, or after `timeoutMs`.
export async function call(method, path, { payload, token, timeoutMs } = {}) {
  const headers = { Accept: "application/json" };
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const options = {
    method,
    headers,
    body: payload === undefined ? undefined : JSON.stringify(payload),
    ...PRIVATE_FETCH,
  };
  if (timeoutMs && window.AbortSignal && AbortSignal.timeout) {
    options.signal = AbortSignal.timeout(timeoutMs);
  }
  const response = await fetch(API + path, options);
  const retryAfter = parseInt(response.headers.get("Retry-After") || "", 10);
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON (or cut off): the status still says what happened */
  }
  return { ok: response.ok, status: response.status, body, retryAfter };
}
