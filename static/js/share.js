// Shareable state: a lab's settings, seed, training and cursor position in the URL.
//
//   /lessons/<slug>#lab=<id>&seed=<n>&epochs=<n>&upd=<n>&pos=<n>&cfg=<base64url JSON>
//
// lab    which lab of the lesson            seed  the lab's PRNG seed
// epochs whole epochs trained (≤ 50)        upd   window updates applied by stepping (≤ 50)
// pos    the cursor (compute step) in the current training step
// cfg    the settings that differ from the lesson's lab block (only those)
//
// Training is deterministic given the seed, so the server replays epochs, then
// window updates, then moves the cursor: the same numbers appear. Exact when the
// learner trained before stepping through updates (the usual order).

export const MAX_EPOCHS = 50;
export const MAX_UPDATES = 50;
const LAB_ID = /^[A-Za-z0-9-]{1,64}$/;

function encode(object) {
  const bytes = new TextEncoder().encode(JSON.stringify(object));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decode(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

const whole = (text, max = Number.MAX_SAFE_INTEGER) => {
  if (text === null || !/^\d{1,10}$/.test(text)) return undefined;
  const value = Number.parseInt(text, 10);
  return value <= max ? value : undefined;
};

// The shared state in a URL hash, or null if it holds none (or nothing sensible).
export function readShared(hash = window.location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const lab = params.get("lab");
  if (!lab || !LAB_ID.test(lab)) return null;
  let config = {};
  try {
    if (params.get("cfg")) config = decode(params.get("cfg"));
  } catch {
    config = {};
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) config = {};
  const seed = whole(params.get("seed"), 2 ** 31 - 1);
  if (seed !== undefined) config = { ...config, seed };
  const initial = {
    config,
    epochs: whole(params.get("epochs"), MAX_EPOCHS),
    updates: whole(params.get("upd"), MAX_UPDATES),
    position: whole(params.get("pos")),
  };
  for (const key of Object.keys(initial)) if (initial[key] === undefined) delete initial[key];
  return { lab, initial };
}

// The lesson's own settings for each lab (from the page), to share only what differs.
function blockDefaults() {
  const script = document.getElementById("lab-defaults");
  return script ? JSON.parse(script.textContent) : {};
}

export function shareUrl(lab, defaults = blockDefaults()) {
  const current = lab.info?.config ?? {};
  const base = defaults[lab.id] ?? {};
  const changed = {};
  for (const [key, value] of Object.entries(current)) {
    if (key !== "seed" && JSON.stringify(value) !== JSON.stringify(base[key])) changed[key] = value;
  }
  const frame = lab.frame ?? {};
  const params = new URLSearchParams({ lab: lab.id });
  params.set("seed", String(current.seed ?? base.seed ?? 0));
  if (frame.epoch) params.set("epochs", String(Math.min(frame.epoch, MAX_EPOCHS)));
  if (frame.updates) params.set("upd", String(Math.min(frame.updates, MAX_UPDATES)));
  if (frame.position) params.set("pos", String(frame.position));
  if (Object.keys(changed).length) params.set("cfg", encode(changed));
  const url = new URL(window.location.href);
  url.hash = params.toString();
  return url.toString();
}

// A "Share" button in each lab's header: copies the link and shows it.
export function addShareButtons(labs) {
  for (const lab of labs) {
    const head = lab.section.querySelector(".lab-head");
    if (!head || head.querySelector(".share-button")) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "share-button";
    button.textContent = "Share";
    button.title = "Copy a link that opens this lab with the same settings, training and step";
    const field = document.createElement("input");
    field.type = "text";
    field.readOnly = true;
    field.className = "share-link";
    field.hidden = true;
    field.setAttribute("aria-label", "Link to this lab's state");
    head.append(button, field);
    button.addEventListener("click", async () => {
      const url = shareUrl(lab);
      field.value = url;
      field.hidden = false;
      window.history.replaceState(null, "", url);
      const frame = lab.frame ?? {};
      const note = frame.epoch > MAX_EPOCHS ? ` (the link replays the first ${MAX_EPOCHS} epochs)` : "";
      try {
        await navigator.clipboard.writeText(url);
        lab.status(`Link copied${note}`);
      } catch {
        field.select();
        lab.status(`Copy the link beside the button${note}`);
      }
    });
  }
}

// Open the page on a shared lab: hand its state to the lab's first open (call before start).
export function restoreShared(labs) {
  const shared = readShared();
  const lab = shared && labs.find((candidate) => candidate.id === shared.lab);
  if (!lab) return null;
  lab.initial = shared.initial;
  return lab;
}
