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

// The stopwatch of a timing round (public/stopwatch.html): start, stop — the time goes into the
// list the form sends. Without script the list is typed by hand; the stopwatch stays hidden.
for (const watch of document.querySelectorAll("[data-stopwatch]")) {
  const display = watch.querySelector("[data-stopwatch-display]");
  const start = watch.querySelector("[data-stopwatch-start]");
  const stop = watch.querySelector("[data-stopwatch-stop]");
  const reset = watch.querySelector("[data-stopwatch-reset]");
  const times = document.querySelector("[data-stopwatch-times]");
  let began = null;
  let ticker = null;
  const clock = (seconds) => {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  };
  const elapsed = () => Math.max(1, Math.round((Date.now() - began) / 1000));
  const idle = () => {
    clearInterval(ticker);
    began = null;
    start.disabled = false;
    stop.disabled = true;
    reset.disabled = true;
  };
  start.addEventListener("click", () => {
    began = Date.now();
    display.textContent = "0:00";
    ticker = setInterval(() => { display.textContent = clock(elapsed()); }, 250);
    start.disabled = true;
    stop.disabled = false;
    reset.disabled = false;
  });
  stop.addEventListener("click", () => {
    const line = clock(elapsed());
    times.value = times.value.trim() ? `${times.value.trim()}\n${line}` : line;
    display.textContent = line;
    idle();
  });
  reset.addEventListener("click", () => {
    display.textContent = "0:00";
    idle();
  });
  watch.hidden = false;
}
