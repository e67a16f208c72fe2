// Shareable state. A lab: the server keeps the lab as it is (weights, optimiser state,
// data, cursor, settings, the unit shown) and names it by a hash; the link carries it.
//
//   /lessons/<slug>#lab=<id>&snap=<43 characters>
//
// Opening it restores exactly that lab (course/lab/links.py). A link the server cannot
// restore (damaged, another lab's, expired) says why, and the page shows the learner's
// own lab. Links made before carried the training to replay instead:
//
//   /lessons/<slug>#lab=<id>&seed=<n>&epochs=<n>&upd=<n>&pos=<n>&cfg=<base64url JSON>
//
// They still open, replayed, with a note that their numbers may differ from the shared.
//
// A learner's own lab survives a reload: each browser tab has a random id (in
// sessionStorage, so a reload keeps it and a new tab does not), every lab opens with it,
// and the server gives back the lab that tab left (course/lab/kept.py).
//
// A module 5 task (task.js) the same way, from the ``link`` its acks carry:
//
//   /lessons/<slug>#task=<id>&seed=<n>&epochs=<n>&cfg=<…>&ask=<…>&gen=<…>
//
// cfg    the text trained on, if not the block's: {source, text?}
// ask    the question shown: {prefix, temperature} | {sentence} | {text} (a date) | {length}
//        (the memory task: the length its three networks train on)
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

import { request } from "./connection.js";

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

// The shared state in a URL hash, or null if it holds none (or nothing sensible):
// {lab, initial: {snapshot}}, or an old-style link's {lab, initial: {config, epochs, …}}.
// A snapshot goes to the server as it is: its refusal says what is wrong with it.
export function readShared(hash = window.location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const lab = params.get("lab");
  if (!lab || !LAB_ID.test(lab)) return null;
  if (params.has("snap")) return { lab, initial: { snapshot: params.get("snap") } };
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

// The link of a lab: the server keeps the lab as it is now and names it.
export async function shareUrl(lab) {
  const { snapshot } = await request(lab.socket, "share", { lab: lab.id });
  return withHash(new URLSearchParams({ lab: lab.id, snap: snapshot }));
}

// This browser tab's id, kept across reloads (sessionStorage), for the server to find
// the labs it left. Where storage is refused, an id for this page alone.
let pageTab = null;
export function tabId() {
  const make = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  try {
    let id = window.sessionStorage.getItem("unrolled:tab");
    if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      id = make();
      window.sessionStorage.setItem("unrolled:tab", id);
    }
    return id;
  } catch {
    pageTab ??= make();
    return pageTab;
  }
}

// Open a learner's own lab (lab.js): the link's lab if `initial` holds one, else the
// lab this tab left, else the lesson's. A link that cannot be restored says why, and
// the learner's own lab opens instead. What was restored is said in the lab's note.
export async function openLab(lab, initial = null) {
  const own = { lesson: lab.lesson, lab: lab.id, resume: tabId() };
  if (!initial) return kept(lab, await request(lab.socket, "open", own));
  try {
    return kept(lab, await request(lab.socket, "open", { ...own, ...initial }));
  } catch (error) {
    const ack = kept(lab, await request(lab.socket, "open", own));
    const instead = ack.kept?.from === "resume" ? "your own lab, as you left it" : "the lesson's own lab";
    const why = /[.!?]$/.test(error.message) ? error.message : `${error.message}.`;
    showNote(lab, `Could not restore this link: ${why} Below is ${instead}.`, true);
    return ack;
  }
}

// Say what an open restored, and show the unit (and layer) its cell view shows.
function kept(lab, ack) {
  const restored = ack.kept ?? {};
  showNote(lab, restored.message ?? "", restored.from === "replay" || restored.from === "fresh");
  const unit = lab.$('[data-control="unit"]');
  if (unit && restored.unit !== undefined) unit.value = String(restored.unit);
  if (lab.section.dataset.level && restored.layer !== undefined) {
    lab.layer = restored.layer;
    lab.section.dataset.level = restored.layer === null ? "overview" : "cell";
  }
  return ack;
}

// A line under the lab's header saying what the lab shows (a link, a resumed lab), or
// why a link could not be restored; empty: none.
export function showNote(lab, text, alarming = false) {
  let note = lab.section.querySelector(".lab-note");
  if (!note && !text) return;
  if (!note) {
    note = document.createElement("p");
    note.className = "lab-note";
    note.dataset.readout = "kept";
    note.setAttribute("role", "status");
    lab.section.querySelector(".lab-head").after(note);
  }
  note.textContent = text;
  note.hidden = !text;
  note.classList.toggle("alarm", alarming);
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
    let link;
    try {
      link = await url();
    } catch (error) {
      status(`Could not make a link: ${error.message}`, true);
      return;
    }
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
      title: "Copy a link that opens this lab exactly as it is now, in any browser",
      url: () => shareUrl(lab),
      status: (text, alarming) => lab.status(text, alarming),
    });
  }
}

// Open the page on a shared lab: hand the link to the lab's first open (call before start).
export function restoreShared(labs) {
  const shared = readShared();
  const lab = shared && labs.find((candidate) => candidate.id === shared.lab);
  if (!lab) return null;
  lab.initial = shared.initial;
  return lab;
}
