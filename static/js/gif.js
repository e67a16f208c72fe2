// A lab's forward pass as an animated GIF, drawn by the server from the learner's lab
// as it is now: the form's fields make the address (the same one the form would load
// without scripts), the answer becomes a download, the lab's status line says how it went.

export function startGif(lab) {
  const form = lab.$(".lab-gif");
  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.reportValidity()) download(lab, form);
  });
}

// At most a frame per compute step of the lab's forward pass, as its shape is now.
export function syncGif(lab, info) {
  const steps = lab.$('.lab-gif [name="steps"]');
  if (!steps || !info?.steps) return;
  const total = info.window * info.layers * info.steps.length;
  steps.max = String(Math.min(Number(steps.dataset.max), total));
}

async function download(lab, form) {
  const button = form.querySelector('button[type="submit"]');
  const query = new URLSearchParams(new FormData(form));
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  lab.status("Rendering GIF…");
  try {
    const response = await fetch(`${form.action}?${query}`, { credentials: "same-origin" });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
    }
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") ?? "";
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `unrolled-${lab.lesson}-${lab.id}.gif`;
    saveBlob(lab.section, blob, name);
    lab.status(`GIF ready: ${name}`);
  } catch (error) {
    lab.status(`Could not make the GIF: ${error.message}`, true);
  } finally {
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

// Hand `blob` to the browser as a download called `name`.
export function saveBlob(section, blob, name) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: name, hidden: true });
  section.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000); // the download has long started
}
