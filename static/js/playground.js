// Module 1's one-unit RNN playground, driven over /playground. The server computes
// every number and builds the figures; this file embeds them, sends what the learner
// changes and paints the named sources each ack carries.
import { connect, request } from "./connection.js";
import { FigureSet } from "./views.js";

const RUN_STEP_MS = 180; // pace of "Run to the end" (instant with reduced motion)
const WEIGHTS = new Set(["w_x", "w_h", "b", "h0"]);

export function startPlaygrounds(root = document) {
  const sections = [...root.querySelectorAll("section.playground")];
  if (!sections.length) return [];
  const lesson = document.querySelector("article.lesson")?.dataset.lesson;
  const socket = connect("/playground");
  let after = null; // one playground's figures at a time, so the first is ready soonest
  return sections.map((section) => {
    const playground = new PlaygroundController(section, socket, lesson);
    playground.start(after);
    after = playground.ready;
    return playground;
  });
}

function reducedMotion() {
  return window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
}

// The value of a model's tag {name: value} (Bokeh sends a Python dict as a Map), as plain JS.
function tag(model, name) {
  for (const found of model?.tags ?? []) {
    const value = found instanceof Map ? found.get(name) : found?.[name];
    if (value !== undefined) return plain(value);
  }
  return undefined;
}

function plain(value) {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  return value;
}

function formatWeight(value) {
  return value.toFixed(2).replace("-", "−");
}

export class PlaygroundController {
  constructor(section, socket, lesson) {
    this.section = section;
    this.socket = socket;
    this.lesson = lesson;
    this.id = section.dataset.playground;
    this.figures = new FigureSet(); // the widget's Bokeh documents and named sources
    this.queue = Promise.resolve(); // requests go one after another, so acks arrive in order
    this.changes = null; // settings waiting to be sent, merged while a request is out
    this.config = null;
    this.frame = null;
    this.running = false;
  }

  $(selector) {
    return this.section.querySelector(selector);
  }

  // Bind the controls and open; the figures wait for `after` (the playground above).
  start(after = null) {
    this.after = after;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.section.addEventListener("click", (event) => {
      const action = event.target.closest("[data-action]")?.dataset.action;
      if (action) this.act(action);
    });
    for (const control of this.section.querySelectorAll("[data-control]")) {
      const name = control.dataset.control;
      const read = () => {
        if (control.type === "checkbox") return control.checked;
        if (control.type === "range") return Number(control.value);
        return control.value;
      };
      control.addEventListener(control.type === "range" ? "input" : "change", () => {
        const value = read();
        this.showOutput(name, value);
        this.configure({ [name]: value });
      });
    }
    this.section.addEventListener("keydown", (event) => this.key(event));
    this.socket.on("connect", () => this.open());
    this.socket.on("disconnect", () => this.status("Disconnected — reconnecting…", true));
    if (this.socket.connected) this.open();
  }

  key(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, select, textarea")) return; // sliders keep their arrows
    if (event.key === " ") {
      event.stopPropagation(); // Space plays a lab elsewhere on the page, not from in here
      return;
    }
    const action = { ArrowRight: "step", Backspace: "reset" }[event.key];
    if (!action) return;
    event.preventDefault();
    event.stopPropagation(); // the page's lab keys must not act as well
    this.act(action);
  }

  // -- requests ------------------------------------------------------------------------
  enqueue(task) {
    const next = this.queue.then(task);
    this.queue = next.catch(() => {});
    return next;
  }

  async send(event, payload = {}) {
    try {
      const ack = await request(this.socket, event, { playground: this.id, ...payload });
      this.show(ack);
      return ack;
    } catch (error) {
      this.status(error.message, true);
      if (error.ack && this.config) this.showControls(this.config); // put the controls back
      return null;
    }
  }

  open() {
    const wanted = this.config; // after a reconnect: the learner's settings and place
    const t = this.frame?.t ?? 0;
    this.status("Opening the playground…");
    return this.enqueue(async () => {
      let ack;
      try {
        ack = await request(this.socket, "open", { lesson: this.lesson, playground: this.id });
      } catch (error) {
        this.status(`Could not open the playground: ${error.message}`, true);
        this.markReady();
        return;
      }
      if (!this.figures.docs.length) {
        await this.after;
        await this.figures.replace(this.section, ack.figures);
        this.fitWidth();
      }
      this.show(ack);
      this.markReady();
      performance.mark(`unrolled:ready:${this.id}`);
      if (wanted) {
        await this.send("configure", wanted);
        for (let k = 0; k < t; k += 1) await this.send("step");
      }
      for (const button of this.section.querySelectorAll("button[data-action]")) button.disabled = false;
    });
  }

  configure(changes) {
    if (this.changes) {
      Object.assign(this.changes, changes);
      return this.queue;
    }
    this.changes = { ...changes };
    return this.enqueue(() => {
      const sent = this.changes;
      this.changes = null;
      return this.send("configure", sent);
    });
  }

  act(action) {
    if (action === "run") return this.running ? this.stopRunning() : this.runToEnd();
    this.stopRunning();
    if (action === "step" || action === "reset") return this.enqueue(() => this.send(action));
  }

  async runToEnd() {
    if (reducedMotion()) return this.enqueue(() => this.send("run"));
    this.setRunning(true);
    if (this.frame?.done) await this.enqueue(() => this.send("reset"));
    while (this.running && !this.frame?.done) {
      const ack = await this.enqueue(() => this.send("step"));
      if (!ack) break;
      await new Promise((resolve) => setTimeout(resolve, RUN_STEP_MS));
    }
    this.setRunning(false);
  }

  stopRunning() {
    this.setRunning(false);
  }

  setRunning(running) {
    if (running !== this.running) this.status(running ? "Running…" : "Ready");
    this.running = running;
    const button = this.$('[data-action="run"]');
    button.setAttribute("aria-pressed", String(running));
    button.textContent = running ? "Stop" : "Run to the end";
  }

  // -- figures -------------------------------------------------------------------------
  // A figure's root is tagged {narrow_below: px}, and each model that differs on a phone
  // {narrow: {property: value}} (shorter labels, smaller type, a lower diagram): while the
  // figure's slot is narrower, those values hold; wider, the models get theirs back.
  // (CustomJS would do this in Bokeh, but it needs eval, which our CSP forbids.)
  fitWidth() {
    for (const [role, { doc }] of this.figures.roles) {
      const slot = this.$(`[data-figure="${role}"]`);
      const below = tag(doc?.get_model_by_id(slot?.dataset.rootId), "narrow_below");
      if (!below) continue;
      const changes = [...doc.all_models].flatMap((model) => {
        const narrow = tag(model, "narrow");
        if (!narrow) return [];
        const wide = Object.fromEntries(Object.keys(narrow).map((name) => [name, model[name]]));
        return [{ model, narrow, wide }];
      });
      let narrow = false; // as built
      new ResizeObserver(([entry]) => {
        const now = entry.contentRect.width < below;
        if (now === narrow) return;
        narrow = now;
        // next frame: Bokeh's own resize handling must not run inside this observer's
        requestAnimationFrame(() => {
          for (const change of changes) change.model.setv(narrow ? change.narrow : change.wide);
        });
      }).observe(slot);
    }
  }

  // -- painting ------------------------------------------------------------------------
  show(ack) {
    this.figures.apply(ack.sources);
    if (ack.config) {
      this.config = ack.config;
      this.showControls(ack.config);
    }
    if (ack.frame) {
      this.frame = ack.frame;
      this.readout("t", String(ack.frame.t));
      this.readout("T", String(ack.frame.T));
      this.section.dataset.t = String(ack.frame.t);
      this.section.dataset.done = String(ack.frame.done);
    }
    if (ack.equation !== undefined) this.readout("equation", ack.equation);
    if (ack.describe) this.readout("describe", ack.describe.description);
    if (!this.running || ack.frame?.done) this.status("Ready");
  }

  showControls(config) {
    for (const control of this.section.querySelectorAll("[data-control]")) {
      const name = control.dataset.control;
      if (!(name in config) || control === document.activeElement) continue;
      if (control.type === "checkbox") control.checked = config[name];
      else control.value = String(config[name]);
      this.showOutput(name, config[name]);
    }
  }

  showOutput(name, value) {
    const output = this.$(`[data-output="${name}"]`);
    if (output) output.textContent = WEIGHTS.has(name) ? formatWeight(value) : String(value);
  }

  readout(name, text) {
    const el = this.$(`[data-readout="${name}"]`);
    if (el && el.textContent !== text) el.textContent = text;
  }

  status(text, alarming = false) {
    const el = this.$('[data-readout="status"]');
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("alarm", alarming);
  }
}
