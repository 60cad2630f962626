// The coping toolkit's exercises (/toolkit/): guided breathing, 5-4-3-2-1 grounding and a
// meditation timer, and logging a practice in place. Each page works without this script
// (the steps are written out and the log is a plain form); the script adds the guides.
// A live region announces each phase once, politely; the seconds are shown, not announced.
// With prefers-reduced-motion the breathing circle stays still: the words and count guide.
(function () {
  "use strict";

  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  // The words come from the page (data-words, in the page's language); English if absent.
  function wordsOf(root) {
    try { return JSON.parse(root.getAttribute("data-words") || "{}"); } catch (e) { return {}; }
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? String(values[name]) : all; });
  }

  function announce(region, text) {
    if (!region) { return; }
    // Clearing first lets the same words be announced again (a new round).
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  // --- Guided breathing ---------------------------------------------------------------------------

  function patterns(w) {
    return {
      box: [
        { name: w.breatheIn || "Breathe in", seconds: 4, circle: "grow-4" },
        { name: w.hold || "Hold", seconds: 4, circle: "hold-full" },
        { name: w.breatheOut || "Breathe out", seconds: 4, circle: "shrink-4" },
        { name: w.holdEmpty || "Hold, lungs empty", seconds: 4, circle: "hold-empty" }
      ],
      "478": [
        { name: w.breatheInNose || "Breathe in through your nose", seconds: 4, circle: "grow-4" },
        { name: w.hold || "Hold", seconds: 7, circle: "hold-full" },
        { name: w.breatheOutMouth || "Breathe out through your mouth", seconds: 8, circle: "shrink-8" }
      ]
    };
  }
  var ROUNDS = 4;
  var CIRCLE_CLASSES = ["grow-4", "hold-full", "shrink-4", "shrink-8", "hold-empty"];

  function breathing(root) {
    var w = wordsOf(root);
    var PATTERNS = patterns(w);
    var circle = root.querySelector("[data-circle]");
    var phaseText = root.querySelector("[data-phase]");
    var countText = root.querySelector("[data-count]");
    var roundText = root.querySelector("[data-round]");
    var region = root.querySelector("[data-announce]");
    var start = root.querySelector("[data-start]");
    var pause = root.querySelector("[data-pause]");
    var stop = root.querySelector("[data-stop]");
    var state = null; // {steps, step, left, round, timer, paused}

    function stillness() {
      root.classList.toggle("is-still", Boolean(reducedMotion && reducedMotion.matches));
    }
    stillness();
    if (reducedMotion && reducedMotion.addEventListener) { reducedMotion.addEventListener("change", stillness); }

    function chosen() {
      var checked = root.querySelector("[data-pattern]:checked");
      return PATTERNS[checked ? checked.value : "box"];
    }

    function setCircle(name) {
      CIRCLE_CLASSES.forEach(function (c) { circle.classList.remove(c); });
      if (name) { circle.classList.add(name); }
    }

    function showStep() {
      var step = state.steps[state.step];
      phaseText.textContent = step.name;
      countText.textContent = String(state.left);
      var values = { round: state.round, rounds: ROUNDS, step: step.name, seconds: step.seconds };
      roundText.textContent = fill(w.roundOf || "Round {round} of {rounds}", values);
      setCircle(step.circle);
      announce(region, fill(state.step === 0 ? (w.stepForRound || "{step} for {seconds}, round {round}")
                                             : (w.stepFor || "{step} for {seconds}"), values));
    }

    function controls(running) {
      start.disabled = running;
      pause.disabled = !running;
      stop.disabled = !running;
      root.querySelectorAll("[data-pattern]").forEach(function (input) { input.disabled = running; });
    }

    function finish(words) {
      window.clearInterval(state.timer);
      state = null;
      setCircle(null);
      phaseText.textContent = words;
      countText.textContent = "";
      roundText.textContent = "";
      announce(region, words);
      controls(false);
      pause.textContent = w.pause || "Pause";
      start.focus();
    }

    function tick() {
      if (state.paused) { return; }
      state.left -= 1;
      if (state.left > 0) {
        countText.textContent = String(state.left);
        return;
      }
      state.step += 1;
      if (state.step >= state.steps.length) {
        state.step = 0;
        state.round += 1;
        if (state.round > ROUNDS) {
          finish(w.doneRounds || "Done: four rounds. Notice how you feel. You can log it below.");
          return;
        }
      }
      state.left = state.steps[state.step].seconds;
      showStep();
    }

    start.addEventListener("click", function () {
      var steps = chosen();
      state = { steps: steps, step: 0, left: steps[0].seconds, round: 1, paused: false, timer: null };
      controls(true);
      showStep();
      state.timer = window.setInterval(tick, 1000);
      pause.focus();
    });
    pause.addEventListener("click", function () {
      if (!state) { return; }
      state.paused = !state.paused;
      root.classList.toggle("is-paused", state.paused);
      pause.textContent = state.paused ? (w.resume || "Resume") : (w.pause || "Pause");
      announce(region, state.paused ? (w.paused || "Paused")
                                    : fill(w.resumedStep || "Resumed: {step}", { step: state.steps[state.step].name }));
    });
    stop.addEventListener("click", function () {
      if (!state) { return; }
      root.classList.remove("is-paused");
      finish(w.stopped || "Stopped. Start again whenever you like.");
    });
    root.hidden = false;
  }

  // --- 5-4-3-2-1 grounding ------------------------------------------------------------------------

  function grounding(root) {
    var w = wordsOf(root);
    var steps = Array.prototype.slice.call(root.querySelectorAll("[data-step]"));
    var controlsRow = root.querySelector("[data-grounding-controls]");
    var back = root.querySelector("[data-back]");
    var next = root.querySelector("[data-next]");
    var clear = root.querySelector("[data-clear]");
    var progress = root.querySelector("[data-progress]");
    var region = root.querySelector("[data-announce]");
    var done = root.querySelector("[data-done]");
    var current = 0;

    function show(index, moveFocus) {
      current = index;
      steps.forEach(function (step, i) { step.hidden = i !== index; });
      done.hidden = true;
      back.disabled = index === 0;
      next.textContent = index === steps.length - 1 ? (w.finish || "Finish") : (w.nextStep || "Next step");
      var heading = steps[index].querySelector("h2");
      var values = { step: index + 1, steps: steps.length, title: heading.textContent };
      progress.textContent = fill(w.stepOf || "Step {step} of {steps}", values);
      announce(region, fill(w.stepOfTitled || "Step {step} of {steps}: {title}", values));
      if (moveFocus) { heading.focus(); }
    }

    next.addEventListener("click", function () {
      if (current >= steps.length) { show(0, true); return; } // "Start again"
      if (current < steps.length - 1) { show(current + 1, true); return; }
      steps.forEach(function (step) { step.hidden = true; });
      progress.textContent = "";
      done.hidden = false;
      done.focus();
      announce(region, done.textContent);
      back.disabled = false;
      next.textContent = w.startAgain || "Start again";
      current = steps.length;
    });
    back.addEventListener("click", function () {
      if (current > 0) { show(current - 1, true); }
    });
    clear.addEventListener("click", function () {
      root.querySelectorAll("textarea").forEach(function (area) { area.value = ""; });
      announce(region, w.notesCleared || "Your notes are cleared.");
    });
    controlsRow.hidden = false;
    show(0, false);
  }

  // --- Meditation timer ---------------------------------------------------------------------------

  function meditation(root) {
    var w = wordsOf(root);
    var remainingText = root.querySelector("[data-remaining]");
    var phaseText = root.querySelector("[data-phase]");
    var region = root.querySelector("[data-announce]");
    var start = root.querySelector("[data-start]");
    var pause = root.querySelector("[data-pause]");
    var stop = root.querySelector("[data-stop]");
    var state = null; // {left, total, timer, paused}

    function minutes() {
      var checked = root.querySelector("[data-minutes]:checked");
      return checked ? parseInt(checked.value, 10) : 3;
    }

    function clock(seconds) {
      var m = Math.floor(seconds / 60);
      var s = seconds % 60;
      return m + ":" + (s < 10 ? "0" : "") + s;
    }

    function controls(running) {
      start.disabled = running;
      pause.disabled = !running;
      stop.disabled = !running;
      root.querySelectorAll("[data-minutes]").forEach(function (input) { input.disabled = running; });
    }

    function end(words, gentle) {
      window.clearInterval(state.timer);
      state = null;
      root.classList.remove("is-paused");
      root.classList.toggle("is-ended", gentle);
      phaseText.textContent = words;
      remainingText.textContent = clock(minutes() * 60);
      announce(region, words);
      controls(false);
      pause.textContent = w.pause || "Pause";
      start.focus();
    }

    root.querySelectorAll("[data-minutes]").forEach(function (input) {
      input.addEventListener("change", function () { remainingText.textContent = clock(minutes() * 60); });
    });
    start.addEventListener("click", function () {
      var total = minutes() * 60;
      state = { left: total, total: total, paused: false, timer: null };
      root.classList.remove("is-ended");
      controls(true);
      remainingText.textContent = clock(total);
      phaseText.textContent = w.meditating || "Breathe naturally. Rest your attention on your breath.";
      announce(region, fill(w.started || "Started: {minutes} minutes. Rest your attention on your breath.",
                            { minutes: minutes() }));
      state.timer = window.setInterval(function () {
        if (state.paused) { return; }
        state.left -= 1;
        remainingText.textContent = clock(state.left);
        if (state.left === 60 && state.total > 60) {
          phaseText.textContent = w.oneMinute || "One minute left. Keep coming back to the breath.";
          announce(region, w.oneMinuteShort || "One minute left.");
        }
        if (state.left <= 0) {
          end(w.timeUp || "Time is up. Take a deeper breath, open your eyes, and notice how you feel.", true);
        }
      }, 1000);
      pause.focus();
    });
    pause.addEventListener("click", function () {
      if (!state) { return; }
      state.paused = !state.paused;
      root.classList.toggle("is-paused", state.paused);
      pause.textContent = state.paused ? (w.resume || "Resume") : (w.pause || "Pause");
      announce(region, state.paused ? (w.paused || "Paused") : (w.resumed || "Resumed"));
    });
    stop.addEventListener("click", function () {
      if (state) { end(w.stopped || "Stopped. Start again whenever you like.", false); }
    });
    root.hidden = false;
  }

  // --- "I did this": logged in place --------------------------------------------------------------

  function logInPlace(form) {
    var status = form.querySelector("[data-log-status]");
    var sending = false;
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) { return; }
      event.preventDefault();
      if (sending) { return; }
      sending = true;
      var data = new FormData(form);
      if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (button) { button.disabled = true; });
      status.textContent = form.getAttribute("data-logging") || "Logging…";
      window.fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
      }).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!response.ok || !json) { throw new Error("not logged in place"); }
        return response.json();
      }).then(function (answer) {
        status.textContent = answer.message;
        buttons.forEach(function (button) { button.disabled = false; });
        sending = false;
      }).catch(function () {
        // Nothing was logged: send the form the ordinary way, which shows what is needed
        // (logging in, choosing the activity, or the problem).
        var fallback = document.createElement("input");
        fallback.type = "hidden";
        if (event.submitter && event.submitter.name) {
          fallback.name = event.submitter.name;
          fallback.value = event.submitter.value;
          form.appendChild(fallback);
        }
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  document.querySelectorAll("[data-breathing]").forEach(breathing);
  document.querySelectorAll("[data-grounding]").forEach(grounding);
  document.querySelectorAll("[data-meditation]").forEach(meditation);
  document.querySelectorAll("[data-toolkit-log]").forEach(logInPlace);
}());
