// One lab on a lesson page: controls, readout and views, driven over /lab.
import { request } from "./connection.js";
import { CellArithmetic } from "./arithmetic.js";
import { CellCode } from "./code.js";
import { saveBlob, startGif, syncGif } from "./gif.js";
import { startOwnData, syncOwnData } from "./owndata.js";
import { setReadout, setStatus } from "./readout.js";
import { showConfigNote, startSettings, syncSettings } from "./settings.js";
import { Scrubber } from "./scrub.js";
import { openLab } from "./share.js";
import { UnitFilter } from "./unrolled.js";
import { FigureSet } from "./views.js";

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
    this.arithmetic = new CellArithmetic(section, this.figures);
    this.codePanel = new CellCode(section);
    this.playing = false;
    this.pending = null; // newest pushed frame, painted on the next animation frame
    this.info = null;
    this.layer = null; // the layer zoomed into (null: the cell view follows the stepper)
    this.overviewKey = "";
  }

  $(selector) {
    return this.section.querySelector(selector);
  }

  // Embed the figures it shows on screen (the rest: `figures.finish`, main.js) and bind
  // the controls. The open request goes out first, so the server opens the lab while
  // the browser lays out the figures; they wait for `after` (the lab before this one),
  // so the first lab on the page is ready soonest. The page's figures hold a new lab's
  // first frame, so a plain open need not draw them again.
  async start(after = null) {
    this.pristine = !this.initial && !this.driver;
    const opening = this.driver?.passive ? null : this.requestOpen();
    opening?.catch(() => {}); // reported by open() below
    this.embedded = (async () => {
      await after?.catch(() => {});
      await this.figures.embed(this.section);
    })();
    await this.embedded;
    performance.mark(`unrolled:embedded:${this.id}`);
    const granularity = this.$('[data-control="granularity"]');
    granularity.value = this.section.dataset.granularity || "compute";
    this.section.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action]");
      if (button) this.act(button.dataset.action, false, button);
      else if (this.section.dataset.level === "cell" && event.target.closest(".lab-views")
        && !event.target.closest(".view-cell, .view-heatmap, .view-weights")) this.zoom(false); // click outside the cell
    });
    this.$('[data-control="unit"]')?.addEventListener("change", () => this.select());
    this.$('[data-control="weights-file"]')?.addEventListener("change", (event) => this.importWeights(event.target));
    this.showWeights();
    this.scrubber = new Scrubber(this);
    this.unitFilter = new UnitFilter(this.section, this.figures);
    startSettings(this);
    startOwnData(this);
    startGif(this);
    this.$('[data-control="phase"]').addEventListener("change", (event) => {
      this.send("jump", { phase: event.target.value });
    });
    this.$('[data-control="speed"]').addEventListener("change", () => {
      if (this.playing) this.act("play", true);
    });
    this.socket.on("frame", (payload) => {
      // After a pause, frames still in flight are dropped: the pause ack has the whole state.
      if (payload.lab !== this.id || !this.playing) return;
      if (!this.pending) {
        requestAnimationFrame(() => this.paint());
        this.pending = payload;
      } else {
        // Coalesce: the newest frame wins, but keep sources only an older one carried
        // (the server sends data that depends on the weights only when they change).
        this.pending = { ...payload, sources: { ...this.pending.sources, ...payload.sources } };
      }
    });
    // A reconnection opens the lab again (the first connection carries the open sent above).
    this.socket.on("connect", () => this.opened && !this.driver?.passive && this.open());
    // A server process stopping says so first (course/production.py), then closes the socket.
    this.socket.on("restarting", (told) => (this.restarting = told?.message));
    this.socket.on("disconnect", () => {
      this.status(this.restarting || "Disconnected — reconnecting…");
      this.restarting = null;
    });
    if (opening) await this.open(opening);
    else this.opened = true;
    performance.mark(`unrolled:ready:${this.id}`);
  }

  // Hand the lab to another driver (null: the learner's own lab) and open it.
  async drive(driver) {
    this.driver = driver;
    this.showWeights();
    if (!driver?.passive) return this.open();
    this.enable(false);
  }

  enable(on) {
    const controls = "button[data-action], .lab-controls select, .lab-controls input, [data-config], .lab-weights input, [data-own]";
    for (const el of this.section.querySelectorAll(controls)) {
      el.disabled = !on && !el.matches('[data-action^="help"]'); // help reads, changes nothing
    }
  }

  paint() {
    const payload = this.pending;
    this.pending = null;
    // A pause (or step) acked since this frame arrived has the newer state: drop it.
    if (payload && this.playing) this.show(payload);
  }

  // Ask the server for this lab's state (socket.io holds the request until connected):
  // a shared link's, used once, else the lab this tab left, else the lesson's (share.js).
  requestOpen() {
    const initial = this.initial;
    this.initial = null;
    return this.driver ? this.driver.open() : openLab(this, initial);
  }

  // Show the lab's state from an open request (a new one unless given).
  async open(opening = null) {
    this.status("Opening the lab…");
    try {
      const ack = await (opening ?? this.requestOpen());
      if (ack.figures) await this.figures.replace(this.section, ack.figures); // a shared link's shape
      this.show(ack, this.pristine && !ack.kept); // a kept lab is not the page's first frame
      this.pristine = false;
      this.enable(true);
    } catch (error) {
      this.status(`Could not open the lab: ${error.message}`, true);
    } finally {
      this.opened = true;
    }
  }

  async act(action, restart = false, button = null) {
    if (action === "help") return this.help(true);
    if (action === "help-close") return this.help(false);
    if (this.driver?.passive) return; // following someone else's lab
    // Layers change only where the lab offers it (an overview or a layers control).
    const layers = this.$("[data-overview-overlay], [data-config=layers]") ? this.info?.layers : undefined;
    if (action === "add-layer" && layers < 7) return this.configure({ layers: layers + 1 });
    if (action === "remove-layer" && layers > 1) return this.configure({ layers: layers - 1 });
    if (action === "zoom") return this.zoom(this.section.dataset.level !== "cell");
    if (action === "zoom-layer") return this.zoom(true, Number(button.dataset.index));
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
    if (action === "export") return this.exportWeights();
  }

  // Weights files and GIFs are of the learner's own lab: not while a live session drives it.
  showWeights() {
    for (const box of this.section.querySelectorAll(".lab-weights, .lab-gif, .lab-own-data")) box.hidden = Boolean(this.driver);
  }

  // Save the lab's weights, settings and losses as <lesson>-<lab>-epoch<N>.json.
  async exportWeights() {
    if (this.driver) return;
    try {
      const { document: weights } = await request(this.socket, "export", { lab: this.id });
      const name = `${this.lesson}-${this.id}-epoch${weights.training.epoch}.json`;
      saveBlob(this.section, new Blob([JSON.stringify(weights)], { type: "application/json" }), name);
      this.status(`Saved ${name}`);
    } catch (error) {
      this.status(`Could not save the weights: ${error.message}`, true);
    }
  }

  // Load a weights file chosen in the file input; the server checks it and answers
  // the lab's new state (new figures if the file's settings change them).
  async importWeights(input) {
    const file = input.files?.[0];
    input.value = ""; // choosing the same file again loads it again
    if (!file || this.driver) return;
    const max = Number(input.dataset.maxBytes);
    const tooLarge = (bytes) =>
      `${file.name} is too large to load (${(bytes / 1e6).toFixed(1)} MB; a lab takes files up to ${(max / 1e6).toFixed(1)} MB).`;
    if (file.size > 4 * max) return this.status(tooLarge(file.size), true);
    this.status(`Loading ${file.name}…`);
    let weights;
    try {
      weights = JSON.parse(await file.text());
    } catch {
      return this.status(`${file.name} is not a JSON file.`, true);
    }
    const bytes = new TextEncoder().encode(JSON.stringify(weights)).length; // as it goes on the wire
    if (bytes > max) return this.status(tooLarge(bytes), true);
    try {
      const ack = await request(this.socket, "import", { lab: this.id, weights });
      if (ack.figures) await this.figures.replace(this.section, ack.figures);
      this.overviewKey = "";
      this.show(ack);
      this.status(ack.message);
    } catch (error) {
      this.status(`Could not load ${file.name}: ${error.message}`, true);
    }
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

  // Show an ack or pushed frame; `drawn`: the figures show its sources already.
  show(ack, drawn = false) {
    if (ack.info) {
      this.info = ack.info;
      syncSettings(this, ack.info);
      syncOwnData(this, ack.info);
      syncGif(this, ack.info);
      this.unitFilter?.shape(ack.info.layers, ack.info.hidden);
      showConfigNote(this, ack.info, ack.message);
    }
    if ("playing" in ack) this.setPlaying(ack.playing);
    if (ack.sources && !drawn) this.figures.apply(ack.sources);
    else if (ack.sources) this.figures.keepLayouts(ack.sources); // drawn, but named later
    if (ack.sources) this.arithmetic.update(ack.sources);
    if (ack.sources) this.codePanel.update(ack.sources);
    if (ack.sources?.overview_layers) this.overlay(ack.sources);
    if (ack.frame) this.readout(ack.frame, ack.explain);
  }

  setPlaying(playing) {
    this.playing = playing;
    const button = this.$('[data-action="play"]');
    button.setAttribute("aria-pressed", String(playing));
    button.textContent = playing ? "Pause" : "Play";
  }

  readout(frame, explain) {
    this.frame = frame; // the newest frame, for share.js
    const set = (name, text) => setReadout(this.section, name, text);
    const layers = this.info?.layers ?? "?";
    set("epoch", String(frame.epoch));
    set("phase", frame.phase);
    const readoutLayer = frame.phase === "update" && frame.layer === layers;
    set("layer", frame.layer === null ? "–" : readoutLayer ? "readout" : `${frame.layer + 1} of ${layers}`);
    const phaseSelect = this.$('[data-control="phase"]');
    if (phaseSelect && document.activeElement !== phaseSelect) phaseSelect.value = frame.phase;
    set("t", frame.t === null ? "–" : `${frame.t + 1} of ${this.info?.window ?? "?"}`);
    this.scrubber?.sync(frame, this.info?.window);
    // The step's words come from the server (lab_info's step_labels), as the diagram's do.
    set("step", frame.step === null ? "–" : this.info?.step_labels?.[frame.step] ?? frame.step);
    set("loss", frame.loss === null ? "–" : frame.loss.toPrecision(3));
    const explainEl = this.$('[data-readout="explain"]');
    if (explainEl && explainEl.dataset.source !== (explain ?? "")) {
      explainEl.dataset.source = explain ?? "";
      explainEl.textContent = explain ?? "";
      window.renderMathInElement?.(explainEl, { throwOnError: false });
    }
    this.section.dataset.step = frame.step ?? "";
    this.section.dataset.position = String(frame.position);
    if (frame.status === "diverged") this.status("Diverged: the loss blew up (past a million, or no longer a number). Reset, then lower the learning rate or turn on gradient clipping.", true);
    else this.status(this.driver?.passive ? "Following the class" : this.playing ? "Playing" : "Ready");
  }

  // Change the network or data (server: `configure`); new figures when its shape changed.
  async configure(config) {
    if (this.driver?.passive) return;
    this.status("Changing the lab…");
    try {
      const ack = this.driver
        ? await this.driver.send("configure", { config })
        : await request(this.socket, "configure", { lab: this.id, config });
      if (!ack) return;
      if (ack.figures) await this.figures.replace(this.section, ack.figures);
      if (ack.rebuilt) this.layer = null;
      this.overviewKey = "";
      this.show(ack);
      if (!this.$('[data-readout="config"]')) this.status(ack.message);
    } catch (error) {
      this.status(error.message, true);
      if (this.info) syncSettings(this, this.info); // the controls show what the lab still is
    }
  }

  select() {
    const unit = Number.parseInt(this.$('[data-control="unit"]')?.value ?? "0", 10);
    if (!Number.isInteger(unit)) return;
    return this.send("select", this.layer === null ? { unit } : { unit, layer: this.layer });
  }

  // Zoom into a layer's cell (exploRNN's levels of detail), or back out to the overview.
  async zoom(into, layer = null) {
    if (!this.section.dataset.level) return;
    this.section.dataset.level = into && this.$(".view-cell") ? "cell" : "overview";
    this.layer = into ? layer : null;
    this.overviewKey = "";
    await this.select();
    if (into) this.$(".view-cell")?.scrollIntoView({ block: "nearest" });
  }

  help(open) {
    const dialog = this.$("[data-help]");
    if (!dialog) return;
    if (open && !dialog.open) {
      this.helpOpener = document.activeElement;
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
      this.helpOpener?.focus?.();
    }
  }

  // Buttons over the overview's glyphs, placed from the server's own coordinates.
  overlay(sources) {
    const layersSrc = sources.overview_layers;
    const slots = sources.overview_slots ?? { x: [] };
    const key = `${layersSrc.x.length}|${this.layer}|${slots.x.join(",")}`;
    if (key === this.overviewKey) return;
    this.overviewKey = key;
    const box = this.$("[data-overview-overlay]");
    if (!box) return;
    const focused = document.activeElement?.closest?.("[data-overview-overlay] [data-action]");
    const wasFocused = focused && `${focused.dataset.action}|${focused.dataset.index}`;
    const n = layersSrc.x.length;
    const pct = (v) => `${v.toFixed(2)}%`;
    const top = (y) => pct(100 - (y / 40) * 100);
    const buttons = [];
    layersSrc.x.forEach((x, k) => {
      const w = layersSrc.width[k], h = layersSrc.height[k], y = layersSrc.y[k];
      const chosen = this.layer === k;
      buttons.push(
        `<div class="ov-layer${chosen ? " chosen" : ""}" style="left:${pct(x - w / 2)};top:${top(y + h / 2)};width:${pct(w)};height:${pct((h / 40) * 100)}">` +
          `<button type="button" class="ov-zoom" data-action="zoom-layer" data-index="${k}" aria-pressed="${chosen}" ` +
          `aria-label="Layer ${k + 1} of ${n}, ${layersSrc.units[k]} units: open its cell"></button>` +
          (n > 1
            ? `<button type="button" class="ov-remove" data-action="remove-layer" data-index="${k}" aria-label="Remove layer ${k + 1} (training starts again)">−</button>`
            : "") +
          "</div>",
      );
    });
    slots.x.forEach((x, k) => {
      const where = k === 0 ? "before layer 1" : k === n ? `after layer ${n}` : `between layers ${k} and ${k + 1}`;
      buttons.push(
        `<button type="button" class="ov-add" data-action="add-layer" data-index="${k}" style="left:${pct(x)};top:${top(slots.y[k])}" ` +
          `aria-label="Add a layer ${where} (training starts again)">+</button>`,
      );
    });
    box.innerHTML = buttons.join("");
    if (this.driver?.passive) for (const b of box.querySelectorAll("button")) b.disabled = true;
    if (wasFocused) {
      const [action, index] = wasFocused.split("|");
      const again = box.querySelector(`[data-action="${action}"][data-index="${index}"]`) ?? box.querySelector("button");
      again?.focus();
    }
  }

  status(text, alarming = false) {
    setStatus(this.section, text, alarming);
  }
}
