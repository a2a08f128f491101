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

  var state = {
    config: null,
    lang: document.documentElement.lang || "sv",
    langPicked: false, // the person chose a language: send it with every message from now on
    session: null, // {id, token}: in memory only
    busy: false,
    exiting: false,
    handoff: "none",
    shiftPresses: []
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
    for (var i = 0; i < nodes.length; i++) {
      var value = t(nodes[i].getAttribute("data-text"));
      if (value !== null) nodes[i].textContent = value;
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
      state.session = { id: body.session_id, token: body.token };
      return null;
    });
  }

  function postMessage(text) {
    var payload = { text: text };
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
    function withSession() {
      if (state.session) return Promise.resolve(null);
      return createSession();
    }
    return withSession().then(function (failure) {
      if (failure) return failure;
      return postMessage(text).then(function (result) {
        if (RENEW_SESSION_STATUSES.indexOf(result.status) === -1 || state.exiting) return result;
        state.session = null;
        return createSession().then(function (renewFailure) {
          return renewFailure || postMessage(text);
        });
      });
    });
  }

  /* ---------- the message log ---------- */

  function speakerLabel(who) {
    var label = t(who === "user" ? "you" : "bot");
    return label ? label + ": " : "";
  }

  function addMessage(who, text) {
    var item = document.createElement("div");
    item.className = "msg " + who;
    if (who === "user" || who === "bot") {
      var speaker = document.createElement("span");
      speaker.className = "who visually-hidden";
      speaker.setAttribute("data-who", who);
      speaker.textContent = speakerLabel(who);
      item.appendChild(speaker);
    }
    var body = document.createElement("span");
    body.className = "msg-text";
    body.dir = "auto";
    body.textContent = text;
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
  }

  function renderReplies(body) {
    if (body && typeof body.lang === "string" && body.lang !== state.lang) {
      setLanguage(body.lang, false); // the server answered in another language: follow it
    }
    var first = null;
    var replies = body && Array.isArray(body.replies) ? body.replies : [];
    replies.forEach(function (reply) {
      if (!reply || typeof reply.text !== "string") return;
      var node = addMessage("bot", reply.text);
      first = first || node;
      if (Array.isArray(reply.buttons) && reply.buttons.length) addReplyButtons(reply.buttons);
    });
    if (body && typeof body.handoff === "string") {
      state.handoff = body.handoff;
      renderHandoff();
    }
    return first;
  }

  // 503 bodies carry the safe reply (helplines) in every language: show ours.
  function safeReplyFrom(body) {
    var replies = body && Array.isArray(body.replies) ? body.replies : [];
    var mine = null;
    var fallback = null;
    replies.forEach(function (reply) {
      if (!reply || typeof reply.text !== "string") return;
      if (reply.lang === state.lang && !mine) mine = reply.text;
      var isDefault = state.config && reply.lang === state.config.default_lang;
      if (isDefault && !fallback) fallback = reply.text;
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
    text = String(text).slice(0, MAX_LENGTH);
    if (!text.trim() || state.busy || state.exiting) return Promise.resolve(false);
    setBusy(true);
    clearReplyButtons();
    var userNode = addMessage("user", shown);
    scrollToShow(null);
    if (!state.config) loadConfig();
    return deliver(text)
      .then(function (result) {
        if (state.exiting) return false;
        var first = null;
        if (result.ok) {
          first = renderReplies(result.body);
        } else {
          var safe = safeReplyFrom(result.body);
          first = safe ? addMessage("bot", safe) : showNotice(t("error_retry") || fallbackError());
        }
        scrollToShow(first);
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
    var text = el.input.value.trim();
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
      } catch (e) {
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
    document.title = "\u00a0";
    // 2. Erase the session on the server; keepalive lets the request outlive the page.
    var session = state.session;
    state.session = null;
    if (session) {
      try {
        fetch(API + "/sessions/" + encodeURIComponent(session.id), {
          method: "DELETE",
          headers: { Authorization: "Bearer " + session.token },
          keepalive: true,
          cache: "no-store",
          credentials: "omit",
          referrerPolicy: "no-referrer"
        }).catch(function () {});
      } catch (e) {
        /* leaving matters more than the answer */
      }
    }
    // 3. Leave, replacing this history entry so Back does not return to the chat.
    window.location.replace(exitUrl());
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

    // If the browser ever restores this page from its back/forward cache after an exit,
    // keep it blank and leave again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted && state.exiting) window.location.replace(exitUrl());
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
