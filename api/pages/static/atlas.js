// A fragment into its place. A fragment fetch that was sent to the sign-in page (the session
// ended) reloads the page instead, so that the whole page asks to sign in and comes back after.
async function fill(target, r) {
  if (r.redirected) window.location.reload();
  else if (r.ok) target.innerHTML = await r.text();
}

// Suggestions as you type: fetches the server-rendered (escaped) HTML fragment; no framework.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-suggest]")) {
    const target = document.getElementById(input.dataset.target);
    let timer, pending;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        if (pending) pending.abort();
        pending = new AbortController();
        const url = input.dataset.suggest + "?q=" + encodeURIComponent(input.value);
        try {
          await fill(target, await fetch(url, {signal: pending.signal, credentials: "same-origin"}));
        } catch (e) { /* a newer keystroke aborted this request */ }
      }, 200);
    });
  }
});

// What-if: while a slider moves, fetch the result fragment for the form's current values.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-live]")) {
    const target = document.getElementById(form.dataset.target);
    let timer, pending;
    form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        if (pending) pending.abort();
        pending = new AbortController();
        const url = form.dataset.live + "?" + new URLSearchParams(new FormData(form));
        try {
          await fill(target, await fetch(url, {signal: pending.signal, credentials: "same-origin"}));
        } catch (e) { /* superseded by a newer move */ }
      }, 120);
    });
  }
});

// File upload without multipart: the chosen file's text goes into the form's textarea (and its
// name into a hidden field), and the form posts as usual; without JavaScript one pastes it.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[type=file][data-fills]")) {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (!file) return;
      document.getElementById(input.dataset.fills).value = await file.text();
      document.getElementById(input.dataset.name).value = file.name;
    });
  }
});
