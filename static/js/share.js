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
//
// A module 5 task (task.js) the same way, from the ``link`` its acks carry:
//
//   /lessons/<slug>#task=<id>&seed=<n>&epochs=<n>&cfg=<…>&ask=<…>&gen=<…>
//
// cfg    the text trained on, if not the block's: {source, text?}
// ask    the question shown: {prefix, temperature} | {sentence} | {text} (a date)
// gen    the text generated from the current weights: {prefix, length, temperature, seed}
//
// A module 1 playground (playground.js), which is deterministic, from its settings alone:
//
//   /lessons/<slug>#playground=<id>&cfg=<…>&t=<n>
//
// cfg    the settings that differ from the lesson's playground block (only those)
// t      the time step: the playground is configured, then stepped t times (t ≤ T)
//
// The server checks all of it (a link is untrusted): what does not parse goes to it as
// it is, so its refusal can say what is wrong.

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

// A shared task in a URL hash: {task, initial} with the `open` event's fields, or null.
export function readSharedTask(hash = window.location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const task = params.get("task");
  if (!task || !LAB_ID.test(task)) return null;
  const initial = {};
  for (const [param, field] of [["seed", "seed"], ["epochs", "epochs"]]) {
    const text = params.get(param);
    if (text !== null) initial[field] = whole(text) ?? text;
  }
  for (const [param, field] of [["cfg", "config"], ["ask", "ask"], ["gen", "generate"]]) {
    const text = params.get(param);
    if (text === null) continue;
    try {
      initial[field] = decode(text);
    } catch {
      initial[field] = text;
    }
  }
  return { task, initial };
}

// A shared playground in a URL hash: {playground, initial: {config, t, problem?}}, or null.
// What cannot be read becomes `problem`, so the playground can say why the link fails.
export function readSharedPlayground(hash = window.location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const playground = params.get("playground");
  if (!playground || !LAB_ID.test(playground)) return null;
  const refused = (problem) => ({ playground, initial: { config: {}, t: 0, problem } });
  let config = {};
  try {
    if (params.get("cfg") !== null) config = decode(params.get("cfg"));
  } catch {
    config = null;
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    return refused("its settings (cfg) cannot be read");
  }
  const t = params.get("t") === null ? 0 : whole(params.get("t"));
  if (t === undefined) return refused("t must be a whole number");
  return { playground, initial: { config, t } };
}

// The link of a playground: its settings that differ from the block's, and its time step.
export function playgroundShareUrl(id, { config, defaults, t }) {
  const params = new URLSearchParams({ playground: id });
  const changed = differences(config, defaults);
  if (Object.keys(changed).length) params.set("cfg", encode(changed));
  params.set("t", String(t));
  return withHash(params);
}

// The settings of `current` whose values differ from `base`'s (except those in `skip`).
function differences(current = {}, base = {}, skip = []) {
  const changed = {};
  for (const [key, value] of Object.entries(current)) {
    if (!skip.includes(key) && JSON.stringify(value) !== JSON.stringify(base[key])) changed[key] = value;
  }
  return changed;
}

// This page's address with `params` as its hash.
function withHash(params) {
  const url = new URL(window.location.href);
  url.hash = params.toString();
  return url.toString();
}

// The link of a task from its server-side state (every /task ack's `link`).
export function taskShareUrl(id, link) {
  const params = new URLSearchParams({ task: id, seed: String(link.seed ?? 0) });
  const epochs = link.epochs ?? 0;
  if (epochs) params.set("epochs", String(Math.min(epochs, MAX_EPOCHS)));
  if (link.config) params.set("cfg", encode(link.config));
  if (link.ask) params.set("ask", encode(link.ask));
  if (link.generate && epochs <= MAX_EPOCHS) params.set("gen", encode(link.generate));
  return withHash(params);
}

// The lesson's own settings for each lab (from the page), to share only what differs.
function blockDefaults() {
  const script = document.getElementById("lab-defaults");
  return script ? JSON.parse(script.textContent) : {};
}

export function shareUrl(lab, defaults = blockDefaults()) {
  const current = lab.info?.config ?? {};
  const base = defaults[lab.id] ?? {};
  const changed = differences(current, base, ["seed"]);
  const frame = lab.frame ?? {};
  const params = new URLSearchParams({ lab: lab.id });
  params.set("seed", String(current.seed ?? base.seed ?? 0));
  if (frame.epoch) params.set("epochs", String(Math.min(frame.epoch, MAX_EPOCHS)));
  if (frame.updates) params.set("upd", String(Math.min(frame.updates, MAX_UPDATES)));
  if (frame.position) params.set("pos", String(frame.position));
  if (Object.keys(changed).length) params.set("cfg", encode(changed));
  return withHash(params);
}

// A "Share" button in a widget's header: copies the link `url()` makes and shows it.
// `what` names the widget ("lab", "task", "playground"); `epochs()` its trained epochs,
// for the note (a playground is not trained, so it has none).
export function addShareButton(section, { what, title, url, epochs = () => 0, status }) {
  const head = section.querySelector(".lab-head");
  if (!head || head.querySelector(".share-button")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "share-button";
  button.textContent = "Share";
  button.title = title;
  const field = document.createElement("input");
  field.type = "text";
  field.readOnly = true;
  field.className = "share-link";
  field.hidden = true;
  field.setAttribute("aria-label", `Link to this ${what}'s state`);
  head.append(button, field);
  button.addEventListener("click", async () => {
    const link = url();
    field.value = link;
    field.hidden = false;
    window.history.replaceState(null, "", link);
    const note = epochs() > MAX_EPOCHS ? ` (the link replays the first ${MAX_EPOCHS} epochs)` : "";
    try {
      await navigator.clipboard.writeText(link);
      status(`Link copied${note}`);
    } catch {
      field.select();
      status(`Copy the link beside the button${note}`);
    }
  });
}

// A "Share" button in each lab's header.
export function addShareButtons(labs) {
  for (const lab of labs) {
    addShareButton(lab.section, {
      what: "lab",
      title: "Copy a link that opens this lab with the same settings, training and step",
      url: () => shareUrl(lab),
      epochs: () => lab.frame?.epoch ?? 0,
      status: (text) => lab.status(text),
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
