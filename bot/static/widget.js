/* HRV Guide chat widget: plain JS, no dependencies, nothing stored on the device.
 *
 * The session id and token live only in this closure: never in cookies, localStorage,
 * sessionStorage or IndexedDB. Everything from the server or the person is shown with
 * textContent, never parsed as HTML. API contract: docs/ARCHITECTURE.md ("Widget API").
 */
(function () {
  "use strict";

  var API = "/api/v1";
  var SHIFT_PRESSES_TO_EXIT = 3;
  var SHIFT_WINDOW_MS = 5000;
  var MAX_LENGTH = 2000;
  var REQUEST_TIMEOUT_MS = 30000;
  // The session expired or was erased: start a new one and send the message again, once.
  var RENEW_SESSION_STATUSES = [401, 403, 404];
  var SESSION_GONE = 404; // expired (or erased): the person is told so, kindly, once
  // Characters the server refuses: control characters (all but tab and newline) and U+FFFD
  // (what a broken paste leaves): invisible or meaningless, and a pasted one would otherwise
  // make the message fail again and again.
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  var CONTROL_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFFFD]/g;
  // Live events of a handoff: a fetch() stream (the token goes in a header, never in the URL,
  // which EventSource cannot do), reconnecting with Last-Event-ID; polling when streams fail.
  var EVENT_RETRY_MS = [1000, 2000, 4000, 8000];
  var STREAM_FAILURES_BEFORE_POLLING = 3;
  var POLL_MS = 2500;
  var STREAM_SILENCE_MS = 45000; // the server sends a keep-alive every 15 s
  var OPEN_HANDOFF = ["queued", "active"];

  var state = {
    config: null,
    lang: document.documentElement.lang || "sv",
    langPicked: false, // the person chose a language: send it with every message from now on
    session: null, // {id, token}: in memory only
    busy: false,
    exiting: false,
    handoff: "none",
    shiftPresses: [],
    // The handoff's event feed: the last event id seen (the cursor) and every id shown, so an
    // event delivered twice (at least once delivery) is shown once.
    feed: { running: false, cursor: null, seen: {}, failures: 0, polling: false, abort: null, timer: null }
  };

  var el = {};

  function byId(id) {
    return document.getElementById(id);
  }

  /* ---------- texts ---------- */

  function textsFor(lang) {
    var all = state.config && state.config.texts;
    return (all && all[lang]) || null;
  }

  // A widget label in the current language, falling back to the default language.
  function t(key) {
    var own = textsFor(state.lang);
    if (own && typeof own[key] === "string") return own[key];
    var fallback = state.config && textsFor(state.config.default_lang);
    if (fallback && typeof fallback[key] === "string") return fallback[key];
    return null;
  }

  function languageInfo(code) {
    var list = (state.config && state.config.languages) || [];
    for (var i = 0; i < list.length; i++) {
      if (list[i] && list[i].code === code) return list[i];
    }
    return null;
  }

  function renderLabels() {
    var nodes = document.querySelectorAll("[data-text]");
    var links = (state.config && state.config.links && state.config.links[state.lang]) || {};
    for (var i = 0; i < nodes.length; i++) {
      var key = nodes[i].getAttribute("data-text");
      var value = t(key);
      if (value === null) continue;
      nodes[i].textContent = "";
      // The banner's 112 becomes a link to call; links only where the server marked them.
      if (nodes[i].tagName !== "A" && Array.isArray(links[key])) fillText(nodes[i], value, links[key]);
      else nodes[i].textContent = value;
    }
    var placeholders = document.querySelectorAll("[data-text-placeholder]");
    for (var j = 0; j < placeholders.length; j++) {
      var hint = t(placeholders[j].getAttribute("data-text-placeholder"));
      if (hint !== null) placeholders[j].setAttribute("placeholder", hint);
    }
    var speakers = el.messages.querySelectorAll(".who");
    for (var k = 0; k < speakers.length; k++) {
      speakers[k].textContent = speakerLabel(speakers[k].getAttribute("data-who"));
    }
    // A plain tab title: someone glancing at the screen or the history sees only "Chatt".
    var title = t("page_title");
    if (title !== null && !state.exiting) document.title = title;
    var info = languageInfo(state.lang);
    document.documentElement.lang = state.lang;
    document.documentElement.dir = info && info.dir === "rtl" ? "rtl" : "ltr";
    if (el.langSelect.value !== state.lang) el.langSelect.value = state.lang;
    renderHandoff();
  }

  function setLanguage(code, pickedByPerson) {
    if (!languageInfo(code)) return;
    state.lang = code;
    if (pickedByPerson) state.langPicked = true;
    renderLabels();
  }

  /* ---------- config ---------- */

  function validConfig(body) {
    return (
      body &&
      typeof body.default_lang === "string" &&
      Array.isArray(body.languages) &&
      body.languages.length > 0 &&
      body.texts &&
      typeof body.texts === "object"
    );
  }

  function buildLanguageSelect() {
    el.langSelect.textContent = "";
    state.config.languages.forEach(function (lang) {
      if (!lang || typeof lang.code !== "string") return;
      var option = document.createElement("option");
      option.value = lang.code;
      option.textContent = typeof lang.name === "string" ? lang.name : lang.code;
      option.lang = lang.code;
      option.dir = lang.dir === "rtl" ? "rtl" : "ltr";
      el.langSelect.appendChild(option);
    });
  }

  var configRequest = null;

  function loadConfig() {
    if (state.config) return Promise.resolve(state.config);
    if (configRequest) return configRequest;
    configRequest = call("GET", "/widget/config")
      .then(function (result) {
        if (!result.ok || !validConfig(result.body)) return null;
        state.config = result.body;
        if (!languageInfo(state.lang)) state.lang = state.config.default_lang;
        buildLanguageSelect();
        var url = exitUrl();
        el.quickExit.setAttribute("href", url);
        renderLabels();
        return state.config;
      })
      .catch(function () {
        return null; // the Swedish texts in the page stay; try again at the next message
      })
      .then(function (config) {
        configRequest = null;
        return config;
      });
    return configRequest;
  }

  /* ---------- HTTP ---------- */

  function call(method, path, payload, token) {
    var headers = { Accept: "application/json" };
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    var options = {
      method: method,
      headers: headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer"
    };
    // A hanging request fails like a lost one, so the person sees the retry text, not dots.
    if (window.AbortSignal && AbortSignal.timeout) {
      options.signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    }
    return fetch(API + path, options).then(function (response) {
      return response.json().then(
        function (body) {
          return { ok: response.ok, status: response.status, body: body };
        },
        function () {
          return { ok: response.ok, status: response.status, body: null };
        }
      );
    });
  }

  function createSession() {
    var payload = state.langPicked ? { lang: state.lang } : {};
    return call("POST", "/sessions", payload).then(function (result) {
      var body = result.body;
      var usable = result.ok && body && typeof body.session_id === "string" &&
        typeof body.token === "string";
      if (!usable) return { ok: false, status: result.status, body: body }; // shown by send()
      var session = { id: body.session_id, token: body.token };
      if (state.exiting) {
        eraseOnServer(session); // created while the page was leaving: erase it too
        return { ok: false, status: 0, body: null };
      }
      state.session = session;
      return null;
    });
  }

  // The session is gone on the server (expired, erased): drop it and its live feed here.
  function forgetSession() {
    state.session = null;
    stopFeed();
    state.feed.cursor = null;
    state.feed.seen = {};
    state.feed.polling = false;
  }

  // The feed found the session expired: say so once and go back to the bot; the next message
  // starts a new session.
  function sessionExpired() {
    if (state.exiting || !state.session) return;
    forgetSession();
    clearHandoffChoice();
    state.handoff = "none";
    renderHandoff();
    scrollToShow(systemLine("session_expired", false));
  }

  // DELETE the session with keepalive, so the request outlives the page that sends it.
  function eraseOnServer(session) {
    try {
      fetch(API + "/sessions/" + encodeURIComponent(session.id), {
        method: "DELETE",
        headers: { Authorization: "Bearer " + session.token },
        keepalive: true,
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer"
      }).catch(function () {});
    } catch {
      /* leaving matters more than the answer */
    }
  }

  // A random id per message, so a retried message is stored once on the server.
  function newMessageId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function postMessage(text, msgId) {
    var payload = { text: text, msg_id: msgId };
    if (state.langPicked) payload.lang = state.lang;
    var session = state.session;
    return call(
      "POST",
      "/sessions/" + encodeURIComponent(session.id) + "/messages",
      payload,
      session.token
    );
  }

  // Send one message: create the session lazily, renew it once if it expired.
  function deliver(text) {
    var msgId = newMessageId();
    function withSession() {
      if (state.session) return Promise.resolve(null);
      return createSession();
    }
    return withSession().then(function (failure) {
      if (failure) return failure;
      return postMessage(text, msgId).then(function (result) {
        if (RENEW_SESSION_STATUSES.indexOf(result.status) === -1 || state.exiting) return result;
        var expired = result.status === SESSION_GONE;
        forgetSession();
        return createSession().then(function (renewFailure) {
          if (renewFailure) return renewFailure;
          return postMessage(text, msgId).then(function (renewed) {
            renewed.expired = expired;
            return renewed;
          });
        });
      });
    });
  }

  /* ---------- the message log ---------- */

  function speakerLabel(who) {
    var label = t({ user: "you", bot: "bot", staff: "staff" }[who] || "bot");
    return label ? label + ": " : "";
  }

  // Only what the server marked, and only these kinds of address: it builds links from the
  // registry's own numbers and pages, never from what anyone typed.
  var SAFE_HREF = /^(tel:\+?[0-9]+|https?:\/\/[^\s"'<>]+)$/;

  function fillText(node, text, links) {
    var rest = text;
    (Array.isArray(links) ? links : []).forEach(function (link) {
      if (!link || typeof link.text !== "string" || typeof link.href !== "string") return;
      var at = link.text ? rest.indexOf(link.text) : -1;
      if (at < 0 || !SAFE_HREF.test(link.href)) return;
      if (at > 0) node.appendChild(document.createTextNode(rest.slice(0, at)));
      var anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      anchor.dir = "ltr"; // a number keeps its digit order inside right-to-left text
      if (link.href.indexOf("tel:") !== 0) {
        anchor.target = "_blank";
        anchor.rel = "noopener noreferrer"; // the page opened learns nothing of this chat
      }
      node.appendChild(anchor);
      rest = rest.slice(at + link.text.length);
    });
    if (rest) node.appendChild(document.createTextNode(rest));
  }

  function addMessage(who, text, links) {
    var item = document.createElement("div");
    item.className = "msg " + who;
    if (who === "user" || who === "bot" || who === "staff") {
      var speaker = document.createElement("span");
      // A person's messages are labelled visibly: nobody should mistake the bot for a human.
      speaker.className = who === "staff" ? "who" : "who visually-hidden";
      speaker.setAttribute("data-who", who);
      speaker.textContent = speakerLabel(who);
      item.appendChild(speaker);
    }
    var body = document.createElement("span");
    body.className = "msg-text";
    body.dir = "auto";
    fillText(body, text, links);
    item.appendChild(body);
    el.messages.appendChild(item);
    return item;
  }

  function addReplyButtons(buttons) {
    var group = document.createElement("div");
    group.className = "reply-buttons";
    buttons.forEach(function (button) {
      if (!button || typeof button.title !== "string" || typeof button.payload !== "string") return;
      var node = document.createElement("button");
      node.type = "button";
      node.className = "reply-button";
      node.dir = "auto";
      node.textContent = button.title;
      node.addEventListener("click", function (event) {
        var byKeyboard = event.detail === 0;
        send(button.payload, button.title).then(function () {
          // The buttons are gone now; keep keyboard users where they can go on writing.
          if (byKeyboard && !state.exiting) el.input.focus();
        });
      });
      group.appendChild(node);
    });
    if (group.childNodes.length) el.messages.appendChild(group);
  }

  function clearReplyButtons() {
    var groups = el.messages.querySelectorAll(".reply-buttons");
    for (var i = 0; i < groups.length; i++) groups[i].remove();
  }

  function scrollToShow(firstNew) {
    var chat = el.chat;
    var end = chat.scrollHeight - chat.clientHeight;
    var target = firstNew ? firstNew.offsetTop - 12 : end;
    chat.scrollTop = Math.max(0, Math.min(target, end));
  }

  function renderHandoff() {
    var key = { queued: "handoff_queued", active: "handoff_active" }[state.handoff];
    var text = key ? t(key) : null;
    el.handoff.textContent = text || "";
    el.handoff.classList.toggle("is-active", state.handoff === "active");
    // Never `hidden`: a live region must stay in the accessibility tree to be announced.
    var open = OPEN_HANDOFF.indexOf(state.handoff) !== -1;
    el.handoffLeave.hidden = !open;
    var leaveLabel = t(state.handoff === "active" ? "handoff_end" : "handoff_leave");
    if (leaveLabel !== null) el.handoffLeave.textContent = leaveLabel;
  }

  function setHandoff(value) {
    if (typeof value !== "string" || state.exiting) return;
    state.handoff = value;
    renderHandoff();
    if (OPEN_HANDOFF.indexOf(value) !== -1) startFeed();
  }

  /* ---------- the handoff's live events ---------- */

  function systemLine(key, withChoice) {
    var text = t(key);
    if (text === null) return null;
    var node = addMessage("system", text);
    if (withChoice) addHandoffChoice();
    return node;
  }

  // Keep the place in the queue, or leave it: offered when no one can answer soon.
  function addHandoffChoice() {
    var group = document.createElement("div");
    group.className = "reply-buttons handoff-choice";
    [["handoff_keep", keepPlace], ["handoff_leave", leaveHandoff]].forEach(function (pair) {
      var node = document.createElement("button");
      node.type = "button";
      node.className = "reply-button";
      node.textContent = t(pair[0]) || pair[0];
      node.addEventListener("click", function () {
        group.remove();
        pair[1]();
      });
      group.appendChild(node);
    });
    el.messages.appendChild(group);
  }

  function keepPlace() {
    scrollToShow(systemLine("handoff_kept", false));
  }

  function leaveHandoff() {
    var session = state.session;
    if (!session || state.exiting) return;
    el.handoffLeave.disabled = true;
    call("POST", "/sessions/" + encodeURIComponent(session.id) + "/handoff/leave", {}, session.token)
      .then(function (result) {
        // The feed shows "you have left" when the `left` event arrives.
        if (result.ok && result.body) setHandoff(result.body.handoff);
        if (!state.feed.running) startFeed(true);
      })
      .catch(function () {
        showNotice(t("error_retry") || fallbackError());
      })
      .then(function () {
        el.handoffLeave.disabled = false;
      });
  }

  var EVENT_TEXTS = {
    joined: ["handoff_joined", false],
    released: ["handoff_released", false],
    closed: ["handoff_closed", false],
    left: ["handoff_left", false],
    requeued: ["handoff_requeued", false],
    no_staff: ["handoff_no_staff", true],
    wait_long: ["handoff_wait_long", true]
  };
  // The handoff's state after an event: the events that end it come with the config.
  function stateAfter(kind) {
    if (kind === "joined") return "active";
    if (kind === "requeued") return "queued";
    var ends = (state.config && state.config.handoff_ends) || [];
    return ends.indexOf(kind) !== -1 ? "none" : "";
  }

  // Show one event once; returns false when the handoff is over for the person.
  function handleEvent(event) {
    if (!event || typeof event.kind !== "string" || state.exiting) return true;
    if (typeof event.id === "string" && event.id) {
      if (state.feed.seen[event.id]) return true;
      state.feed.seen[event.id] = true;
      state.feed.cursor = event.id;
    }
    var node = null;
    if (event.kind === "text" && typeof event.text === "string") {
      clearHandoffChoice();
      node = addMessage("staff", event.text);
    } else if (EVENT_TEXTS[event.kind]) {
      if (event.kind !== "no_staff" && event.kind !== "wait_long") clearHandoffChoice();
      node = systemLine(EVENT_TEXTS[event.kind][0], EVENT_TEXTS[event.kind][1]);
    }
    if (stateAfter(event.kind)) {
      state.handoff = stateAfter(event.kind);
      renderHandoff();
    }
    if (node) scrollToShow(node);
    return OPEN_HANDOFF.indexOf(state.handoff) !== -1;
  }

  function clearHandoffChoice() {
    var groups = el.messages.querySelectorAll(".handoff-choice");
    for (var i = 0; i < groups.length; i++) groups[i].remove();
  }

  function startFeed(once) {
    var feed = state.feed;
    if (feed.running || !state.session || state.exiting) return;
    feed.running = true;
    feed.failures = 0;
    if (once) {
      pollFeed();
    } else {
      connectFeed();
    }
  }

  function stopFeed() {
    var feed = state.feed;
    feed.running = false;
    if (feed.abort) feed.abort.abort();
    feed.abort = null;
    if (feed.timer) clearTimeout(feed.timer);
    feed.timer = null;
  }

  function feedUrl(session) {
    return API + "/sessions/" + encodeURIComponent(session.id) + "/events";
  }

  function streamsWork() {
    return !!(window.ReadableStream && window.TextDecoder && window.AbortController) && !state.feed.polling;
  }

  function connectFeed() {
    var feed = state.feed;
    var session = state.session;
    if (!feed.running || !session || state.exiting) return;
    if (!streamsWork()) {
      pollFeed();
      return;
    }
    var controller = new AbortController();
    feed.abort = controller;
    var watchdog = null;
    function resetWatchdog() {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(function () {
        controller.abort();
      }, STREAM_SILENCE_MS);
    }
    var headers = { Accept: "text/event-stream", Authorization: "Bearer " + session.token };
    if (feed.cursor) headers["Last-Event-ID"] = feed.cursor;
    var open = true;
    resetWatchdog();
    fetch(feedUrl(session), {
      headers: headers,
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
      signal: controller.signal
    })
      .then(function (response) {
        if (response.status === SESSION_GONE && state.session === session) {
          sessionExpired();
          return;
        }
        if (!response.ok || !response.body) throw new Error("feed " + response.status);
        feed.failures = 0;
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
                open = handleEvent(JSON.parse(data.join("\n"))) && open;
              } catch {
                /* a broken event is skipped; the cursor brings it again if it matters */
              }
            });
            return pump();
          });
        }
        return pump();
      })
      .then(
        function () {
          return true;
        },
        function () {
          feed.failures += 1;
          return false;
        }
      )
      .then(function (clean) {
        if (watchdog) clearTimeout(watchdog);
        if (feed.abort === controller) feed.abort = null;
        if (!feed.running || state.exiting) return;
        if (clean && (!open || OPEN_HANDOFF.indexOf(state.handoff) === -1)) {
          feed.running = false; // the handoff is over: the stream ended by itself
          return;
        }
        if (feed.failures >= STREAM_FAILURES_BEFORE_POLLING) feed.polling = true;
        var wait = EVENT_RETRY_MS[Math.min(feed.failures, EVENT_RETRY_MS.length - 1)];
        feed.timer = setTimeout(connectFeed, clean ? EVENT_RETRY_MS[0] : wait);
      });
  }

  // The fallback: ask for the events after the cursor every few seconds.
  function pollFeed() {
    var feed = state.feed;
    var session = state.session;
    if (!feed.running || !session || state.exiting) return;
    var path = "/sessions/" + encodeURIComponent(session.id) + "/events";
    if (feed.cursor) path += "?after=" + encodeURIComponent(feed.cursor);
    call("GET", path, undefined, session.token)
      .then(function (result) {
        if (result.status === SESSION_GONE && state.session === session) {
          sessionExpired();
          return false;
        }
        if (!result.ok || !result.body) return true;
        var events = Array.isArray(result.body.events) ? result.body.events : [];
        events.forEach(handleEvent);
        if (typeof result.body.handoff === "string") {
          state.handoff = result.body.handoff;
          renderHandoff();
        }
        return OPEN_HANDOFF.indexOf(state.handoff) !== -1;
      })
      .catch(function () {
        return true;
      })
      .then(function (more) {
        if (!more) {
          feed.running = false;
          return;
        }
        if (feed.running && !state.exiting) feed.timer = setTimeout(pollFeed, POLL_MS);
      });
  }

  function renderReplies(body) {
    if (body && typeof body.lang === "string" && body.lang !== state.lang) {
      setLanguage(body.lang, false); // the server answered in another language: follow it
    }
    var first = null;
    var replies = body && Array.isArray(body.replies) ? body.replies : [];
    replies.forEach(function (reply) {
      if (!reply || typeof reply.text !== "string") return;
      var node = addMessage("bot", reply.text, reply.links);
      first = first || node;
      if (Array.isArray(reply.buttons) && reply.buttons.length) addReplyButtons(reply.buttons);
    });
    if (body && typeof body.handoff === "string") setHandoff(body.handoff);
    return first;
  }

  // 503 bodies carry the safe reply (helplines) in every language: show ours.
  function safeReplyFrom(body) {
    var replies = body && Array.isArray(body.replies) ? body.replies : [];
    var mine = null;
    var fallback = null;
    replies.forEach(function (reply) {
      if (!reply || typeof reply.text !== "string") return;
      if (reply.lang === state.lang && !mine) mine = reply;
      var isDefault = state.config && reply.lang === state.config.default_lang;
      if (isDefault && !fallback) fallback = reply;
    });
    return mine || fallback;
  }

  function showNotice(text) {
    var node = addMessage("notice", text);
    node.setAttribute("role", "alert");
    return node;
  }

  function setBusy(busy) {
    state.busy = busy;
    el.sendButton.disabled = busy;
    el.typing.hidden = !busy;
    el.chat.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function send(text, shown) {
    text = String(text).replace(CONTROL_CHARACTERS, "").slice(0, MAX_LENGTH);
    if (!text.trim() || state.busy || state.exiting) return Promise.resolve(false);
    setBusy(true);
    clearReplyButtons();
    var userNode = addMessage("user", shown);
    scrollToShow(null);
    if (!state.config) loadConfig();
    return deliver(text)
      .then(function (result) {
        if (state.exiting) return false;
        // Said before the answer: the guide (or the person) no longer knows the earlier chat.
        var notice = result.expired ? systemLine("session_expired", false) : null;
        var first;
        if (result.ok) {
          first = renderReplies(result.body);
        } else {
          // Not taken (too fast, full, refused): give a typed message back to send again.
          userNode.classList.add("failed");
          if (text === shown && !el.input.value) el.input.value = text;
          var safe = safeReplyFrom(result.body);
          first = safe
            ? addMessage("bot", safe.text, safe.links)
            : showNotice(t("error_retry") || fallbackError());
        }
        scrollToShow(notice || first);
        return result.ok;
      })
      .catch(function () {
        if (state.exiting) return false;
        userNode.classList.add("failed");
        var notice = showNotice(t("error_retry") || fallbackError());
        // Give a typed message back so it can be sent again with one tap.
        if (text === shown && !el.input.value) el.input.value = text;
        scrollToShow(notice);
        return false;
      })
      .then(function (ok) {
        setBusy(false);
        return ok;
      });
  }

  function fallbackError() {
    // Only used when even the config could not be loaded.
    return "Meddelandet kom inte fram. Försök igen. Om du är i fara: ring 112.";
  }

  function submitTyped() {
    var text = el.input.value.replace(CONTROL_CHARACTERS, "").trim();
    if (!text || state.busy || state.exiting) return;
    el.input.value = "";
    resizeInput();
    send(text, text);
  }

  /* ---------- the input ---------- */

  var autoSize = !(window.CSS && CSS.supports && CSS.supports("field-sizing", "content"));

  function resizeInput() {
    if (!autoSize) return;
    el.input.style.height = "auto"; // CSSOM, allowed by the CSP (unlike style attributes)
    el.input.style.height = Math.min(el.input.scrollHeight + 2, 160) + "px";
  }

  /* ---------- quick exit ---------- */

  function exitUrl() {
    var candidates = [state.config && state.config.exit_url, el.quickExit.getAttribute("href")];
    for (var i = 0; i < candidates.length; i++) {
      try {
        var url = new URL(candidates[i], window.location.href);
        if (url.protocol === "https:" || url.protocol === "http:") return url.href;
      } catch {
        /* try the next one */
      }
    }
    return "https://www.smhi.se/";
  }

  function quickExit(event) {
    if (event) event.preventDefault();
    if (state.exiting) return;
    state.exiting = true;
    // 1. Blank the page at once and drop the conversation from the DOM.
    document.documentElement.classList.add("exiting");
    el.cover.hidden = false;
    el.messages.textContent = "";
    el.input.value = "";
    el.handoff.textContent = "";
    stopFeed();
    document.title = "\u00a0";
    // 2. Erase the session on the server; keepalive lets the request outlive the page.
    var session = state.session;
    state.session = null;
    if (session) eraseOnServer(session);
    // 3. Leave, replacing this history entry so Back does not return to the chat.
    leave(exitUrl());
  }

  // Embedded on a partner's page (HRV_FRAME_ANCESTORS), the whole tab must leave, not only this
  // frame; browsers allow it after the click or key press that started the exit. Where they
  // refuse, the frame at least leaves.
  function leave(url) {
    if (window.top !== window.self) {
      try {
        window.top.location.replace(url);
        return;
      } catch {
        /* fall through */
      }
    }
    window.location.replace(url);
  }

  // Three bare Shift presses within 5 seconds; any other key in between starts over, so
  // capitals, Shift+Enter and Shift+Tab never count towards it.
  function onKeydown(event) {
    if (state.exiting) return;
    if (event.key !== "Shift" || event.isComposing) {
      state.shiftPresses = [];
      return;
    }
    if (event.repeat || event.ctrlKey || event.altKey || event.metaKey) return;
    var now = Date.now();
    state.shiftPresses = state.shiftPresses.filter(function (time) {
      return now - time < SHIFT_WINDOW_MS;
    });
    state.shiftPresses.push(now);
    if (state.shiftPresses.length >= SHIFT_PRESSES_TO_EXIT) quickExit();
  }

  /* ---------- start ---------- */

  function init() {
    el.quickExit = byId("quick-exit");
    el.langSelect = byId("lang-select");
    el.chat = byId("chat");
    el.messages = byId("messages");
    el.typing = byId("typing");
    el.handoff = byId("handoff-status");
    el.handoffLeave = byId("handoff-leave");
    el.form = byId("composer");
    el.input = byId("message-input");
    el.sendButton = byId("send-button");
    el.cover = byId("exit-cover");

    el.quickExit.addEventListener("click", quickExit);
    el.quickExit.addEventListener("keydown", function (event) {
      if (event.key === " " || event.key === "Spacebar") quickExit(event); // role="button"
    });
    document.addEventListener("keydown", onKeydown, true);

    el.langSelect.addEventListener("change", function () {
      setLanguage(el.langSelect.value, true);
    });

    el.form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitTyped();
    });
    el.input.setAttribute("maxlength", String(MAX_LENGTH));
    el.input.addEventListener("keydown", function (event) {
      // Enter sends; Shift+Enter makes a new line; never while an IME is composing.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submitTyped();
      }
    });
    el.input.addEventListener("input", resizeInput);
    el.handoffLeave.addEventListener("click", leaveHandoff);

    // If the browser ever restores this page from its back/forward cache after an exit,
    // keep it blank and leave again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted && state.exiting) leave(exitUrl());
    });

    setBusy(false);
    renderHandoff();
    loadConfig();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
