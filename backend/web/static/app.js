// Behaviours the pages ask for with data attributes: the content security policy allows no
// inline script. Delegated from the document, so parts swapped in by htmx behave alike.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-on-click]");
  if (field) field.select();
});

// A timing round's page that no longer shows a stopwatch (the round ended): what this browser
// kept for it goes too.
if (location.pathname.startsWith("/m/") && !document.querySelector("[data-stopwatch]")) {
  try { localStorage.removeItem(`desk-timer:${location.pathname}`); } catch { /* private mode */ }
}

// The stopwatch of a timing round (public/stopwatch.html): start, stop — the time goes into the
// list the form sends. Without script the list is typed by hand; the stopwatch stays hidden.
// A running watch and the times not yet sent are kept in this browser alone (per round's page),
// so a reload or a phone discarding the tab during a long task loses neither; sending clears them.
for (const watch of document.querySelectorAll("[data-stopwatch]")) {
  const display = watch.querySelector("[data-stopwatch-display]");
  const start = watch.querySelector("[data-stopwatch-start]");
  const stop = watch.querySelector("[data-stopwatch-stop]");
  const reset = watch.querySelector("[data-stopwatch-reset]");
  const times = document.querySelector("[data-stopwatch-times]");
  const key = `desk-timer:${location.pathname}`;
  const store = {
    read() { try { return JSON.parse(localStorage.getItem(key) || "{}"); } catch { return {}; } },
    write(state) { try { localStorage.setItem(key, JSON.stringify(state)); } catch { /* private mode */ } },
    clear() { try { localStorage.removeItem(key); } catch { /* private mode */ } },
  };
  let began = null;
  let ticker = null;
  const clock = (seconds) => {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  };
  const elapsed = () => Math.max(1, Math.round((Date.now() - began) / 1000));
  const SHORTEST = 3;  // seconds
  const keep = () => store.write({ began, times: times.value });
  const running = () => {
    display.textContent = clock(elapsed());
    ticker = setInterval(() => { display.textContent = clock(elapsed()); }, 250);
    start.disabled = true;
    stop.disabled = false;
    reset.disabled = false;
  };
  const idle = () => {
    clearInterval(ticker);
    began = null;
    start.disabled = false;
    stop.disabled = true;
    reset.disabled = true;
    keep();
  };
  start.addEventListener("click", () => {
    began = Date.now();
    keep();
    running();
  });
  stop.addEventListener("click", () => {
    if (elapsed() < SHORTEST) {  // a start and stop by mistake, not a task: nothing goes in the list
      display.textContent = watch.dataset.tooShort;
      idle();
      return;
    }
    const line = clock(elapsed());
    times.value = times.value.trim() ? `${times.value.trim()}\n${line}` : line;
    display.textContent = line;
    idle();
  });
  reset.addEventListener("click", () => {
    display.textContent = "0:00";
    idle();
  });
  times.addEventListener("input", keep);
  // A page that says the times were stored starts afresh; any other brings back what was kept.
  if (document.querySelector("[data-stopwatch-stored]")) {
    store.clear();
  } else {
    const kept = store.read();
    if (!times.value.trim() && typeof kept.times === "string") times.value = kept.times;
    if (typeof kept.began === "number" && kept.began <= Date.now()) {
      began = kept.began;
      running();
    }
  }
  watch.hidden = false;
}
