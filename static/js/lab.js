// One lab on a lesson page: controls, readout and views, driven over /lab.
import { request } from "./connection.js";
import { FigureSet } from "./views.js";

const STEP_NAMES = {
  x: "layer input xₜ with hₜ₋₁",
  a: "pre-activation a",
  f: "forget gate f",
  i: "input gate i",
  g: "candidate g",
  o: "output gate o",
  c: "cell state cₜ",
  h: "output hₜ",
  r: "reset gate r",
  z: "update gate z",
  n: "candidate n",
  dh: "∂L/∂hₜ",
  dc: "∂L/∂cₜ",
  do: "∂L/∂o (output gate)",
  df: "∂L/∂f (forget gate)",
  di: "∂L/∂i (input gate)",
  dg: "∂L/∂g (candidate)",
  dz: "∂L/∂z (update gate)",
  dn: "∂L/∂n (candidate)",
  dr: "∂L/∂r (reset gate)",
  da: "∂L/∂a (pre-activation)",
  update: "weight change ΔW",
  readout: "readout change ΔW_y",
};

export class LabController {
  // `driver` (optional) replaces the learner's own lab: { open() -> ack, send(event, payload) -> ack },
  // as a live session's presenter or a student exploring a copy of the class's lab use it.
  constructor(section, socket, lesson, driver = null) {
    this.section = section;
    this.socket = socket;
    this.lesson = lesson;
    this.driver = driver;
    this.id = section.dataset.lab;
    this.figures = new FigureSet();
    section.figures = this.figures; // this lab's sources, for tests and the console
    this.playing = false;
    this.pending = null; // newest pushed frame, painted on the next animation frame
    this.info = null;
  }

  $(selector) {
    return this.section.querySelector(selector);
  }

  async start() {
    await this.figures.embed(this.section);
    const granularity = this.$('[data-control="granularity"]');
    granularity.value = this.section.dataset.granularity || "compute";
    this.section.addEventListener("click", (event) => {
      const action = event.target.closest("[data-action]")?.dataset.action;
      if (action) this.act(action);
    });
    this.$('[data-control="unit"]')?.addEventListener("change", (event) => {
      const unit = Number.parseInt(event.target.value, 10);
      if (Number.isInteger(unit)) this.send("select", { unit });
    });
    this.$('[data-control="phase"]').addEventListener("change", (event) => {
      this.send("jump", { phase: event.target.value });
    });
    this.$('[data-control="speed"]').addEventListener("change", () => {
      if (this.playing) this.act("play", true);
    });
    this.socket.on("frame", (payload) => {
      if (payload.lab !== this.id) return;
      if (!this.pending) {
        requestAnimationFrame(() => this.paint());
        this.pending = payload;
      } else {
        // Coalesce: the newest frame wins, but keep sources only an older one carried
        // (the server sends data that depends on the weights only when they change).
        this.pending = { ...payload, sources: { ...this.pending.sources, ...payload.sources } };
      }
    });
    this.socket.on("connect", () => this.driver?.passive || this.open());
    this.socket.on("disconnect", () => this.status("Disconnected — reconnecting…"));
    if (this.socket.connected && !this.driver?.passive) await this.open();
  }

  // Hand the lab to another driver (null: the learner's own lab) and open it.
  async drive(driver) {
    this.driver = driver;
    if (!driver?.passive) return this.open();
    this.enable(false);
  }

  enable(on) {
    for (const el of this.section.querySelectorAll("button[data-action], .lab-controls select, .lab-controls input")) {
      el.disabled = !on;
    }
  }

  paint() {
    const payload = this.pending;
    this.pending = null;
    if (payload) this.show(payload);
  }

  async open() {
    this.status("Opening the lab…");
    try {
      const ack = this.driver
        ? await this.driver.open()
        : await request(this.socket, "open", { lesson: this.lesson, lab: this.id });
      this.show(ack, { full: true });
      this.enable(true);
    } catch (error) {
      this.status(`Could not open the lab: ${error.message}`, true);
    }
  }

  async act(action, restart = false) {
    if (this.driver?.passive) return; // following someone else's lab
    const granularity = this.$('[data-control="granularity"]').value;
    if (action === "play") {
      if (this.playing && !restart) return this.send("pause", {});
      const speed = Number.parseFloat(this.$('[data-control="speed"]').value);
      return this.send("play", { granularity, speed });
    }
    if (action === "step") return this.send("step", { granularity });
    if (action === "train") {
      this.status("Training…");
      return this.send("train", { epochs: 1 });
    }
    if (action === "reset") return this.send("reset", {});
  }

  async send(event, payload) {
    try {
      const ack = this.driver
        ? await this.driver.send(event, payload)
        : await request(this.socket, event, { lab: this.id, ...payload });
      if (ack) this.show(ack);
    } catch (error) {
      this.status(error.message, true);
    }
  }

  show(ack) {
    if (ack.info) this.info = ack.info;
    if ("playing" in ack) this.setPlaying(ack.playing);
    if (ack.sources) this.figures.apply(ack.sources);
    if (ack.frame) this.readout(ack.frame, ack.explain);
  }

  setPlaying(playing) {
    this.playing = playing;
    const button = this.$('[data-action="play"]');
    button.setAttribute("aria-pressed", String(playing));
    button.textContent = playing ? "Pause" : "Play";
  }

  readout(frame, explain) {
    const set = (name, text) => {
      const el = this.$(`[data-readout="${name}"]`);
      if (el) el.textContent = text;
    };
    const layers = this.info?.layers ?? "?";
    set("epoch", String(frame.epoch));
    set("phase", frame.phase);
    const readoutLayer = frame.phase === "update" && frame.layer === layers;
    set("layer", frame.layer === null ? "–" : readoutLayer ? "readout" : `${frame.layer + 1} of ${layers}`);
    const phaseSelect = this.$('[data-control="phase"]');
    if (phaseSelect && document.activeElement !== phaseSelect) phaseSelect.value = frame.phase;
    set("t", frame.t === null ? "–" : `${frame.t + 1} of ${this.info?.window ?? "?"}`);
    set("step", frame.step === null ? "–" : STEP_NAMES[frame.step] ?? frame.step);
    set("loss", frame.loss === null ? "–" : frame.loss.toPrecision(3));
    const explainEl = this.$('[data-readout="explain"]');
    if (explainEl && explainEl.dataset.source !== (explain ?? "")) {
      explainEl.dataset.source = explain ?? "";
      explainEl.textContent = explain ?? "";
      window.renderMathInElement?.(explainEl, { throwOnError: false });
    }
    this.section.dataset.step = frame.step ?? "";
    this.section.dataset.position = String(frame.position);
    if (frame.status === "diverged") this.status("Diverged: the loss is no longer finite. Reset, or lower the learning rate.", true);
    else this.status(this.playing ? "Playing" : "Ready");
  }

  status(text, alarming = false) {
    const el = this.$('[data-readout="status"]');
    el.textContent = text;
    el.classList.toggle("alarm", alarming);
  }
}
