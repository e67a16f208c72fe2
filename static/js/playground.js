// Module 1's one-unit RNN playground, driven over /playground. The server computes
// every number and builds the figures; this file embeds them, sends what the learner
// changes and paints the named sources each ack carries. A Share button puts its settings
// and time step in a link (share.js), which a fresh page restores as after a reconnect.
import { connect, request } from "./connection.js";
import { addShareButton, playgroundShareUrl, readSharedPlayground } from "./share.js";
import { setReadout, setStatus } from "./readout.js";
import { inTurn, painted } from "./schedule.js";
import { FigureSet } from "./views.js";

const RUN_STEP_MS = 180; // pace of "Run to the end" (instant with reduced motion)
const WEIGHTS = new Set(["w_x", "w_h", "b", "h0"]);

export function startPlaygrounds(root = document) {
  const sections = [...root.querySelectorAll("section.playground")];
  if (!sections.length) return [];
  const lesson = document.querySelector("article.lesson")?.dataset.lesson;
  const socket = connect("/playground");
  const playgrounds = sections.map((section) => new PlaygroundController(section, socket, lesson));
  const shared = readSharedPlayground();
  const restored = shared && playgrounds.find((playground) => playground.id === shared.playground);
  if (restored) restored.initial = shared.initial; // a shared link's state, used by the first open
  // One playground's figures at a time, so the first is ready soonest: the one a shared
  // link points at, then page order.
  inTurn(playgrounds, restored, (playground, after) => {
    playground.start(after);
    return playground.ready.then(painted);
  });
  restored?.ready.then(() => restored.section.scrollIntoView({ block: "start" }));
  return playgrounds;
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
    this.defaults = null; // the lesson block's settings (every open ack's), for share links
    this.initial = null; // a shared link's {config, t, problem?} (share.js), used once
    this.frame = null;
    this.running = false;
    this.restoring = false; // bringing back a reconnect's or a link's state
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
      const ack = await this.ask(event, payload);
      this.show(ack);
      return ack;
    } catch (error) {
      this.status(error.message, true);
      if (error.ack && this.config) this.showControls(this.config); // put the controls back
      return null;
    }
  }

  open() {
    // After a reconnect, the learner's settings and place; on the first open, a shared link's.
    const wanted = this.config ? { config: this.config, t: this.frame?.t ?? 0 } : this.initial;
    const shared = !this.config && wanted !== null;
    this.initial = null;
    this.status(shared ? "Opening the shared playground…" : "Opening the playground…");
    return this.enqueue(async () => {
      let ack;
      try {
        ack = await this.openFresh();
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
      this.restoring = wanted !== null; // "Ready" only once the settings and place are back
      this.show(ack);
      performance.mark(`unrolled:ready:${this.id}`);
      if (wanted) {
        try {
          await this.restore(wanted);
          this.restoring = false;
          this.status("Ready");
        } catch (error) {
          this.restoring = false;
          if (!shared) this.status(error.message, true);
          else await this.refuseLink(error.message);
        }
      }
      this.markReady();
      for (const button of this.section.querySelectorAll("button[data-action]")) button.disabled = false;
      addShareButton(this.section, {
        what: "playground",
        title: "Copy a link that opens this playground with the same settings and time step",
        url: () => {
          const t = this.frame?.t ?? 0;
          return playgroundShareUrl(this.id, { config: this.config, defaults: this.defaults, t });
        },
        status: (text) => this.status(text),
      });
    });
  }

  // Open (again): the server starts the lesson block's playground afresh.
  async openFresh() {
    const ack = await request(this.socket, "open", { lesson: this.lesson, playground: this.id });
    this.defaults = ack.config;
    return ack;
  }

  // Bring the playground to `config` at time step `t`: configure, then step t times. The
  // settings may come from a link, so the server checks them as for any configure.
  async restore({ config, t, problem }) {
    if (problem) throw new Error(problem);
    if (Object.keys(config).length) this.show(await this.ask("configure", config));
    if (t > this.frame.T) throw new Error(`t must be at most T = ${this.frame.T}`);
    for (let k = 0; k < t; k += 1) this.show(await this.ask("step"));
  }

  // A link the server or the page refused: say why, and leave the lesson's own playground.
  async refuseLink(message) {
    try {
      this.show(await this.openFresh());
    } catch (error) {
      this.status(`Could not open the playground: ${error.message}`, true);
      return;
    }
    this.status(`Could not open the shared link: ${message}`, true);
  }

  ask(event, payload = {}) {
    return request(this.socket, event, { ...payload, playground: this.id }); // the id is ours, not the payload's
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
    if (ack.describe) {
      this.readout("describe", ack.describe.description);
      this.showScaling(ack.describe.scalable);
    }
    if ((!this.running || ack.frame?.done) && !this.restoring) this.status("Ready");
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

  // The "scale inputs" switch shows what is fed: a bounded sequence (sine) is never
  // scaled, so the switch is off and disabled there, whatever the learner's setting
  // (kept in `config.scaled`, shown again on a growing sequence).
  showScaling(scalable) {
    const control = this.$('[data-control="scaled"]');
    if (!control || scalable === undefined) return;
    control.disabled = !scalable;
    control.checked = scalable && Boolean(this.config?.scaled);
    this.readout("scaled-note", scalable ? "" : "(this sequence already lies in [−1, 1]: not scaled)");
  }

  showOutput(name, value) {
    const output = this.$(`[data-output="${name}"]`);
    if (output) output.textContent = WEIGHTS.has(name) ? formatWeight(value) : String(value);
  }

  readout(name, text) {
    setReadout(this.section, name, text);
  }

  status(text, alarming = false) {
    setStatus(this.section, text, alarming);
  }
}
