// A conversation page asks for new messages every few seconds and adds them to the list,
// announcing them through a polite live region. Without this script the page still works:
// new messages appear on the next visit or after sending.
(function () {
  "use strict";

  var holder = document.querySelector("[data-conversation-poll]");
  var list = document.getElementById("message-list");
  var live = document.getElementById("message-live");
  if (!holder || !list || !live || !window.fetch) {
    return;
  }
  var url = holder.getAttribute("data-poll-url");
  var after = parseInt(holder.getAttribute("data-after"), 10) || 0;
  var seconds = parseInt(holder.getAttribute("data-poll-seconds"), 10) || 20;
  var readUrl = holder.getAttribute("data-read-url");
  var unseen = 0;  // the newest message from the other side not yet marked read
  // The words come from the page (data-words, in the page's language); English if absent.
  var words = {};
  try { words = JSON.parse(holder.getAttribute("data-words") || "{}"); } catch (e) { words = {}; }
  var locale = document.documentElement.lang || [];

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? String(values[name]) : all; });
  }

  function when(iso) {
    var moment = new Date(iso);
    return isNaN(moment.getTime()) ? "" : moment.toLocaleString(locale, {
      weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit"
    });
  }

  function add(message) {
    if (document.getElementById("message-" + message.id)) {
      return false;
    }
    var none = document.getElementById("message-none");
    if (none) {
      none.parentNode.removeChild(none);
    }
    var item = document.createElement("li");
    item.className = "message-item" + (message.from_you ? " message-mine" : "");
    item.id = "message-" + message.id;
    var meta = document.createElement("p");
    meta.className = "message-meta";
    var who = document.createElement("strong");
    who.textContent = message.sender;
    var time = document.createElement("span");
    time.textContent = when(message.sent_at);
    meta.appendChild(who);
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(time);
    item.appendChild(meta);
    var text = document.createElement("p");
    if (message.retracted_at) {
      text.className = "message-retracted";
      var note = document.createElement("em");
      note.textContent = words.retracted || "Message retracted.";
      text.appendChild(note);
    } else {
      text.className = "message-body";
      text.textContent = message.body;
    }
    item.appendChild(text);
    list.appendChild(item);
    return true;
  }

  // Messages that arrive while the page is on screen are read; in a hidden tab, once it shows.
  function markRead() {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!unseen || !readUrl || !token || document.visibilityState === "hidden") {
      return;
    }
    var body = new URLSearchParams();
    body.append("up_to", String(unseen));
    unseen = 0;
    window.fetch(readUrl, {method: "POST", credentials: "same-origin", body: body,
                           headers: {"X-CSRFToken": token.value}}).catch(function () { /* read on the next visit */ });
  }

  document.addEventListener("visibilitychange", markRead);

  function poll() {
    window.fetch(url + "?after=" + after, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.items) {
          return;
        }
        var fresh = [];
        data.items.forEach(function (message) {
          after = Math.max(after, message.id);
          if (add(message) && !message.from_you) {
            fresh.push(message);
          }
        });
        if (fresh.length) {
          unseen = fresh[fresh.length - 1].id;
          markRead();
        }
        if (fresh.length === 1) {
          live.textContent = fill(fresh[0].retracted_at ? (words.newRetracted || "New message from {sender} (retracted).")
                                                        : (words.newOne || "New message from {sender}: {body}"),
                                  { sender: fresh[0].sender, body: fresh[0].body });
        } else if (fresh.length > 1) {
          live.textContent = fill(words.newMany || "{count} new messages.", { count: fresh.length });
        }
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { window.setTimeout(poll, seconds * 1000); });
  }

  window.setTimeout(poll, seconds * 1000);
}());
