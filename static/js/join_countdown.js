// The join page's countdown: the server wrote the time left when the page was made; this
// keeps it true while the page stays open, and reloads the page when the room opens, so the
// server hands over the link (carematch/scheduling/video.py countdown_words says it the same way).
(function () {
  "use strict";

  var holder = document.querySelector("[data-opens-at]");
  var words = holder && holder.querySelector("[data-countdown]");
  if (!holder || !words || !holder.getAttribute("data-words")) {
    return;
  }
  // The words in the page's language, from the server: {n} and {time} are filled in here.
  var phrases = JSON.parse(holder.getAttribute("data-words"));
  // Time is counted from the server's clock when the page was made, not the device's (which
  // may be wrong), by the time elapsed since.
  var wait = Date.parse(holder.getAttribute("data-opens-at")) - Date.parse(holder.getAttribute("data-now"));
  var loaded = window.performance.now();
  if (isNaN(wait)) {
    return;
  }

  function unit(count, name) {
    return phrases.units[name][count === 1 ? 0 : 1].replace("{n}", String(count));
  }

  function within(time) {
    return phrases["in"].replace("{time}", time);
  }

  function say(milliseconds) {
    var minutes = Math.max(0, Math.floor(milliseconds / 60000));
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    minutes = minutes % 60;
    if (days) {
      return within(unit(days, "day") + (hours ? " " + unit(hours, "hour") : ""));
    }
    if (hours) {
      return within(unit(hours, "hour") + (minutes ? " " + unit(minutes, "minute") : ""));
    }
    if (minutes) {
      return within(unit(minutes, "minute"));
    }
    return phrases.soon;
  }

  function tick() {
    var left = wait - (window.performance.now() - loaded);
    if (left <= 0) {
      window.location.reload();
      return;
    }
    var text = say(left);
    if (words.textContent !== text) {
      words.textContent = text;
    }
    window.setTimeout(tick, Math.min(left, 15000));
  }

  window.setTimeout(tick, 15000);
})();
