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
