/* The staff console: plain JS, no dependencies, nothing stored on the device.
 *
 * The account token and the authenticator code are sent once to sign in and then dropped; the
 * console session token lives only in this closure. Everything a person writes is shown with
 * textContent, never as HTML. The console's timers (heartbeat, list refresh, events) do not keep
 * the session alive: only what the person at the console does, so an unattended console signs
 * out after the idle time (a warning comes first). Every text is data (bot/texts/console/), in the
 * page's JSON block; the language chosen in the header lives in memory only.
 * API: /api/v1/staff/* and /api/v1/handoffs/* (OpenAPI at /openapi.json).
 */
(function () {
  "use strict";

  var API = "/api/v1";
  var REFRESH_MS = 3000;
  var POLL_MS = 2500;
  var STREAM_SILENCE_MS = 45000;
  var RETRY_MS = [1000, 2000, 4000];
  var ACTIVITY_EVERY_MS = 60000; // clicks and key presses renew the idle time at most this often
  var WARN_BEFORE_SECONDS = 120;
  var STREAM_FAILURES_BEFORE_POLLING = 3;
  /* ---------- texts ---------- */

  // Every language's texts, from the page's data block; `texts` is the chosen one's.
  var catalogue = { default: "sv", languages: [] };
  var texts = {};

  function has(key) {
    return Object.prototype.hasOwnProperty.call(texts, key);
  }

  // A text with its {placeholders} filled; the key itself if a text is missing (never empty).
  function t(key, values) {
    var text = has(key) ? texts[key] : key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] !== undefined ? String(values[name]) : whole;
    });
  }

  // The text named after a value the server sends (a reason, a kind of danger, an event), or
  // the value itself when no text has that name.
  function named(prefix, value) {
    return has(prefix + value) ? texts[prefix + value] : String(value);
  }

  // The safety layer's kinds of danger: the chat began with one, or a message was flagged.
  function riskText(kinds) {
    for (var i = 0; i < kinds.length; i++) {
      if (kinds[i] !== "unsure" && has("risk_" + kinds[i])) return texts["risk_" + kinds[i]];
    }
    return kinds.indexOf("unsure") !== -1 ? t("risk_unsure") : "";
  }

  function useLanguage(code) {
    var chosen = catalogue.languages.filter(function (lang) {
      return lang.code === code;
    })[0] || catalogue.languages[0];
    if (!chosen) return;
    texts = chosen.texts || {};
    document.documentElement.lang = chosen.code;
    document.querySelectorAll("[data-text]").forEach(function (node) {
      node.textContent = t(node.getAttribute("data-text"));
    });
    document.querySelectorAll("[data-placeholder]").forEach(function (node) {
      node.placeholder = t(node.getAttribute("data-placeholder"));
    });
    el.langSelect.value = chosen.code;
  }

  function loadTexts() {
    var block = byId("console-texts");
    try {
      catalogue = JSON.parse(block ? block.textContent : "null") || catalogue;
    } catch {
      catalogue = { default: "sv", languages: [] };
    }
    catalogue.languages.forEach(function (lang) {
      var option = document.createElement("option");
      option.value = lang.code;
      option.textContent = lang.name;
      el.langSelect.appendChild(option);
    });
    el.langSelect.hidden = catalogue.languages.length < 2;
    useLanguage(catalogue.default);
  }

  var state = {
    token: null, // the console session token: memory only
    name: "",
    languages: {},
    heartbeatMs: 10000,
    idleSeconds: 1800,
    lastActivity: 0,
    timers: { heartbeat: null, refresh: null },
    selected: null, // handoff id shown in the chat pane
    chat: null // {id, cursor, seen, abort, timer, failures, polling, ended}
  };
  var el = {};

  function byId(id) {
    return document.getElementById(id);
  }

  /* ---------- HTTP ---------- */

  function call(method, path, payload) {
    var headers = { Accept: "application/json" };
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers.Authorization = "Bearer " + state.token;
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer"
    }).then(function (response) {
      var retryAfter = parseInt(response.headers.get("Retry-After") || "", 10);
      var result = { ok: response.ok, status: response.status, body: null, retryAfter: retryAfter };
      return response.json().then(
        function (body) {
          result.body = body;
          return result;
        },
        function () {
          return result;
        }
      );
    }).then(function (result) {
      if (result.status === 401 && state.token && path.indexOf("/staff/login") === -1) {
        endLocally(t("session_ended"));
      }
      return result;
    });
  }

  function errorText(result, fallback) {
    var error = result && result.body && result.body.error;
    return (error && typeof error.message === "string" && error.message) || fallback;
  }

  /* ---------- sign in and out ---------- */

  function waitText(seconds) {
    if (!(seconds > 0)) return t("wait_a_while");
    if (seconds < 90) return t("wait_seconds", { n: seconds });
    return t("wait_minutes", { n: Math.ceil(seconds / 60) });
  }

  function signInError(result) {
    if (result.status === 429) {
      return t("signin_too_many", { wait: waitText(result.retryAfter) });
    }
    if (result.status === 401) return t("signin_wrong");
    if (result.status === 422) return t("signin_incomplete");
    return t("signin_failed");
  }

  function signIn(event) {
    event.preventDefault();
    var token = el.tokenInput.value.trim();
    var code = el.codeInput.value.replace(/\s+/g, "");
    if (!token) {
      el.signinError.textContent = t("token_missing");
      el.tokenInput.focus();
      return;
    }
    if (!/^[0-9]{6}$/.test(code)) {
      el.signinError.textContent = t("code_invalid");
      el.codeInput.focus();
      return;
    }
    // Neither the account token nor the code is kept, not even in the fields.
    el.tokenInput.value = "";
    el.codeInput.value = "";
    el.signinButton.disabled = true;
    el.signinError.textContent = "";
    call("POST", "/staff/login", { token: token, code: code })
      .then(function (result) {
        if (!result.ok || !result.body) {
          el.signinError.textContent = signInError(result);
          el.tokenInput.focus();
          return;
        }
        state.token = result.body.token;
        state.name = result.body.name;
        state.heartbeatMs = Math.max(1000, (result.body.heartbeat_seconds || 10) * 1000);
        state.idleSeconds = result.body.idle_timeout_seconds || state.idleSeconds;
        state.lastActivity = Date.now();
        showConsole();
      })
      .catch(function () {
        el.signinError.textContent = t("server_unreachable");
      })
      .then(function () {
        el.signinButton.disabled = false;
      });
  }

  function showConsole() {
    el.who.textContent = state.name;
    el.signinView.hidden = true;
    el.consoleView.hidden = false;
    el.signOut.hidden = false;
    loadLanguages();
    heartbeat();
    refresh();
    state.timers.heartbeat = setInterval(heartbeat, state.heartbeatMs);
    state.timers.refresh = setInterval(refresh, REFRESH_MS);
  }

  // The person at the console did something: renew the idle time (at most once a minute).
  function activity() {
    if (!state.token || Date.now() - state.lastActivity < ACTIVITY_EVERY_MS) return;
    stillHere();
  }

  function stillHere() {
    if (!state.token) return;
    state.lastActivity = Date.now();
    call("POST", "/staff/still-here").then(function (result) {
      if (result.ok) el.idleWarning.hidden = true;
    }, function () {});
  }

  function showIdleWarning(secondsLeft) {
    var warnAt = Math.min(WARN_BEFORE_SECONDS, Math.floor(state.idleSeconds / 4));
    el.idleWarning.hidden = !(secondsLeft <= warnAt);
  }

  function signOut() {
    var done = function () {
      endLocally("");
    };
    call("POST", "/staff/logout").then(done, done);
  }

  // Forget everything in memory and show the sign-in form again.
  function endLocally(message) {
    clearInterval(state.timers.heartbeat);
    clearInterval(state.timers.refresh);
    closeChat();
    state.token = null;
    state.name = "";
    el.idleWarning.hidden = true;
    el.queue.textContent = "";
    el.mine.textContent = "";
    el.who.textContent = "";
    el.consoleView.hidden = true;
    el.signOut.hidden = true;
    el.signinView.hidden = false;
    el.signinError.textContent = message;
    el.tokenInput.focus();
  }

  function heartbeat() {
    if (!state.token) return;
    call("POST", "/staff/heartbeat").then(function (result) {
      if (!result.ok || !result.body) return;
      showIdleWarning(result.body.idle_seconds_left);
      var open = result.body.open_now;
      el.status.textContent =
        (open ? t("open_now") : t("closed_now")) +
        " · " +
        t("on_duty", { n: result.body.staff_on_duty });
      el.status.classList.toggle("closed", !open);
    }, function () {});
  }

  function loadLanguages() {
    call("GET", "/widget/config").then(function (result) {
      var list = (result.body && result.body.languages) || [];
      list.forEach(function (lang) {
        if (lang && typeof lang.code === "string") state.languages[lang.code] = String(lang.name);
      });
    }, function () {});
  }

  /* ---------- the lists ---------- */

  function refresh() {
    if (!state.token) return;
    Promise.all([call("GET", "/handoffs?state=queued"), call("GET", "/handoffs?state=active")])
      .then(function (results) {
        if (!state.token) return;
        if (!results[0].ok || !results[1].ok) {
          el.listError.textContent = t("list_failed");
          return;
        }
        el.listError.textContent = "";
        renderList(el.queue, results[0].body, true);
        renderList(el.mine, results[1].body, false);
        el.queueCount.textContent = "(" + results[0].body.length + ")";
        el.queueEmpty.hidden = results[0].body.length > 0;
        el.mineEmpty.hidden = results[1].body.length > 0;
      })
      .catch(function () {
        el.listError.textContent = t("server_unreachable");
      });
  }

  function minutes(seconds) {
    var m = Math.floor(seconds / 60);
    return m < 1 ? t("under_a_minute") : t("minutes", { n: m });
  }

  function renderList(list, items, queued) {
    list.textContent = "";
    items.forEach(function (item) {
      var row = document.createElement("li");
      row.className = "item" + (item.handoff_id === state.selected ? " selected" : "");
      row.setAttribute("data-handoff", item.handoff_id);
      var facts = document.createElement("span");
      facts.className = "facts";
      var lang = document.createElement("span");
      lang.className = "lang";
      lang.textContent = state.languages[item.lang] || item.lang;
      var reason = document.createElement("span");
      var risky = item.reason === "danger" || Boolean(item.risk);
      reason.className = "reason" + (risky ? " danger" : "");
      reason.textContent = item.risk ? named("risk_", item.risk) : named("reason_", item.reason);
      var wait = document.createElement("span");
      wait.className = "wait";
      wait.textContent = t("waited", { time: minutes(item.waiting_seconds) });
      facts.appendChild(lang);
      facts.appendChild(document.createTextNode(" · "));
      facts.appendChild(reason);
      facts.appendChild(document.createTextNode(" · "));
      facts.appendChild(wait);
      if (item.channel && item.channel !== "widget") {
        facts.appendChild(document.createTextNode(" · " + item.channel));
      }
      row.appendChild(facts);
      var button = document.createElement("button");
      button.type = "button";
      button.className = queued ? "claim" : "open quiet";
      button.textContent = queued ? t("claim") : t("show");
      button.addEventListener("click", function () {
        if (queued) {
          claim(item.handoff_id, button);
        } else {
          openChat(item.handoff_id);
        }
      });
      row.appendChild(button);
      list.appendChild(row);
    });
  }

  function claim(id, button) {
    button.disabled = true;
    call("POST", "/handoffs/" + encodeURIComponent(id) + "/claim").then(function (result) {
      if (result.ok) {
        openChat(id);
      } else {
        el.listError.textContent =
          result.status === 409 ? t("claimed_by_other") : errorText(result, t("failed"));
      }
      refresh();
    }, function () {
      el.listError.textContent = t("server_unreachable");
      button.disabled = false;
    });
  }

  /* ---------- one conversation ---------- */

  function closeChat() {
    var chat = state.chat;
    if (chat) {
      chat.ended = true;
      if (chat.abort) chat.abort.abort();
      if (chat.timer) clearTimeout(chat.timer);
    }
    state.chat = null;
    state.selected = null;
    el.transcript.textContent = "";
    el.chat.hidden = true;
    el.chatEmpty.hidden = false;
  }

  function openChat(id) {
    closeChat();
    state.selected = id;
    var chat = { id: id, cursor: null, seen: {}, abort: null, timer: null, failures: 0, polling: false, ended: false };
    state.chat = chat;
    el.chat.hidden = false;
    el.chatEmpty.hidden = true;
    el.chatError.textContent = "";
    setEnded(false);
    call("GET", "/handoffs/" + encodeURIComponent(id) + "/messages").then(function (result) {
      if (state.chat !== chat) return;
      if (!result.ok) {
        el.chatError.textContent = errorText(result, t("chat_failed"));
        setEnded(true);
        return;
      }
      var handoff = result.body.handoff;
      el.chatMeta.textContent =
        (state.languages[handoff.lang] || handoff.lang) +
        " · " +
        (handoff.risk ? named("risk_", handoff.risk) : named("reason_", handoff.reason));
      // The transcript is history: a `requeued` from an earlier claim must not end this one.
      // Whether the chat is over is the handoff's state now; only live events can end it.
      result.body.messages.forEach(function (message) {
        showEvent(chat, message, true);
      });
      if (handoff.state !== "active") {
        markEnded(chat);
        return;
      }
      connect(chat);
    }, function () {
      el.chatError.textContent = t("server_unreachable");
    });
    refresh();
  }

  function setEnded(ended) {
    el.reply.disabled = ended;
    el.send.disabled = ended;
    el.release.disabled = ended;
    el.close.disabled = ended;
  }

  function addLine(kind, label, text, danger) {
    var line = document.createElement("div");
    line.className = "line " + kind + (danger ? " danger" : "");
    if (label) {
      var from = document.createElement("span");
      from.className = "from";
      from.textContent = label;
      line.appendChild(from);
    }
    var body = document.createElement("span");
    body.className = "text";
    body.dir = "auto";
    body.textContent = text; // never innerHTML: a person's "<script>" stays text
    line.appendChild(body);
    el.transcript.appendChild(line);
    el.transcript.scrollTop = el.transcript.scrollHeight;
    return line;
  }

  // Show an event once (by id); returns false when the conversation is over for us. Events of
  // the transcript (`history`) never end it: they may be from an earlier claim.
  function showEvent(chat, event, history) {
    if (!event || typeof event.kind !== "string") return true;
    if (event.id) {
      if (chat.seen[event.id]) return true;
      chat.seen[event.id] = true;
      chat.cursor = event.id;
    }
    if (event.kind === "text") {
      var flags = Array.isArray(event.flags) ? event.flags : [];
      var risk = riskText(flags);
      var mine = event.from === "staff";
      var who = mine ? t("you") : risk ? t("person_flagged", { risk: risk }) : t("person");
      addLine(mine ? "staff" : "person", who, String(event.text), Boolean(risk));
    } else if (has("system_" + event.kind)) {
      addLine("system", "", t("system_" + event.kind), false);
    }
    if (!history && (catalogue.ends || []).indexOf(event.kind) !== -1) {
      markEnded(chat);
      return false;
    }
    return true;
  }

  function markEnded(chat) {
    chat.ended = true;
    setEnded(true);
    refresh();
  }

  function eventsPath(chat) {
    return "/handoffs/" + encodeURIComponent(chat.id) + "/events";
  }

  // Live events with fetch() (the token goes in a header); reconnect with Last-Event-ID.
  function connect(chat) {
    if (chat.ended || state.chat !== chat) return;
    if (chat.polling || !(window.ReadableStream && window.TextDecoder && window.AbortController)) {
      poll(chat);
      return;
    }
    var controller = new AbortController();
    chat.abort = controller;
    var watchdog = null;
    function resetWatchdog() {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(function () {
        controller.abort();
      }, STREAM_SILENCE_MS);
    }
    var headers = { Accept: "text/event-stream", Authorization: "Bearer " + state.token };
    if (chat.cursor) headers["Last-Event-ID"] = chat.cursor;
    resetWatchdog();
    fetch(API + eventsPath(chat), {
      headers: headers,
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
      signal: controller.signal
    })
      .then(function (response) {
        if (!response.ok || !response.body) throw new Error("events " + response.status);
        chat.failures = 0;
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) return;
            resetWatchdog();
            buffer += decoder.decode(chunk.value, { stream: true });
            var blocks = buffer.split("\n\n");
            buffer = blocks.pop();
            blocks.forEach(function (block) {
              var data = [];
              block.split("\n").forEach(function (line) {
                if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
              });
              if (!data.length) return;
              try {
                showEvent(chat, JSON.parse(data.join("\n")));
              } catch {
                /* skipped; the cursor brings it again */
              }
            });
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        chat.failures += 1;
      })
      .then(function () {
        if (watchdog) clearTimeout(watchdog);
        if (chat.ended || state.chat !== chat) return;
        if (chat.failures >= STREAM_FAILURES_BEFORE_POLLING) chat.polling = true;
        chat.timer = setTimeout(function () {
          connect(chat);
        }, RETRY_MS[Math.min(chat.failures, RETRY_MS.length - 1)]);
      });
  }

  function poll(chat) {
    if (chat.ended || state.chat !== chat) return;
    var path = eventsPath(chat) + (chat.cursor ? "?after=" + encodeURIComponent(chat.cursor) : "");
    call("GET", path).then(function (result) {
      if (result.ok && Array.isArray(result.body)) {
        result.body.forEach(function (event) {
          showEvent(chat, event);
        });
      } else if (result.status === 403 || result.status === 404 || result.status === 409) {
        showEvent(chat, { kind: "gone" });
      }
    }, function () {}).then(function () {
      if (!chat.ended && state.chat === chat) {
        chat.timer = setTimeout(function () {
          poll(chat);
        }, POLL_MS);
      }
    });
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function sendReply(event) {
    event.preventDefault();
    var chat = state.chat;
    var text = el.reply.value.trim();
    if (!chat || chat.ended || !text) return;
    var payload = { text: text, msg_id: randomId() };
    el.reply.value = "";
    el.send.disabled = true;
    var path = "/handoffs/" + encodeURIComponent(chat.id) + "/messages";
    // One retry with the same msg_id: the server stores the message once either way.
    call("POST", path, payload)
      .catch(function () {
        return call("POST", path, payload);
      })
      .then(function (result) {
        if (result.ok) {
          showEvent(chat, { id: result.body.id, kind: "text", from: "staff", text: text, flags: [] });
        } else {
          el.chatError.textContent = errorText(result, t("send_failed"));
          if (!el.reply.value) el.reply.value = text;
        }
      }, function () {
        el.chatError.textContent = t("send_failed_retry");
        if (!el.reply.value) el.reply.value = text;
      })
      .then(function () {
        el.send.disabled = !!(state.chat && state.chat.ended);
      });
  }

  function end(kind) {
    var chat = state.chat;
    if (!chat || chat.ended) return;
    call("POST", "/handoffs/" + encodeURIComponent(chat.id) + "/" + kind).then(function (result) {
      if (result.ok) {
        showEvent(chat, { kind: kind === "release" ? "released" : "closed" });
      } else {
        el.chatError.textContent = errorText(result, t("failed"));
      }
    }, function () {
      el.chatError.textContent = t("server_unreachable");
    });
  }

  /* ---------- start ---------- */

  function init() {
    [
      ["who", "who"], ["signOut", "sign-out"], ["signinView", "signin-view"], ["signinForm", "signin-form"],
      ["tokenInput", "token"], ["codeInput", "code"], ["signinButton", "signin-button"],
      ["signinError", "signin-error"], ["idleWarning", "idle-warning"], ["stillHere", "still-here"],
      ["consoleView", "console-view"], ["status", "status"], ["queue", "queue"], ["queueCount", "queue-count"],
      ["queueEmpty", "queue-empty"], ["mine", "mine"], ["mineEmpty", "mine-empty"], ["listError", "list-error"],
      ["chatEmpty", "chat-empty"], ["chat", "chat"], ["chatMeta", "chat-meta"], ["release", "release"],
      ["close", "close"], ["transcript", "transcript"], ["replyForm", "reply-form"], ["reply", "reply"],
      ["send", "send"], ["chatError", "chat-error"], ["langSelect", "console-lang"]
    ].forEach(function (pair) {
      el[pair[0]] = byId(pair[1]);
    });
    loadTexts();
    el.langSelect.addEventListener("change", function () {
      useLanguage(el.langSelect.value);
      if (state.token) refresh();
    });
    el.signinForm.addEventListener("submit", signIn);
    el.signOut.addEventListener("click", signOut);
    el.stillHere.addEventListener("click", stillHere);
    el.consoleView.addEventListener("click", activity);
    el.consoleView.addEventListener("keydown", activity);
    el.replyForm.addEventListener("submit", sendReply);
    el.reply.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) sendReply(event);
    });
    el.release.addEventListener("click", function () {
      end("release");
    });
    el.close.addEventListener("click", function () {
      end("close");
    });
    el.tokenInput.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
