// Module 5's tasks (next character, sentiment, translation) and module 4's memory task
// (RNN, LSTM and GRU side by side), driven over /task. The
// server trains and computes everything and builds the figures; this file embeds
// them, sends what the learner asks and paints the named sources each ack carries
// (task-paint.js: the painting methods, added to TaskController below).
import { CellArithmetic } from "./arithmetic.js";
import { connect, request } from "./connection.js";
import { addShareButton, readSharedTask, taskShareUrl } from "./share.js";
import { setReadout, setStatus } from "./readout.js";
import { paintMethods, percent } from "./task-paint.js";
import { inTurn, painted } from "./schedule.js";
import { FigureSet } from "./views.js";

const OPEN_ATTEMPTS = 4; // of 30 s each: a busy server compiling every lesson's networks at start
const TRAIN_TIMEOUT_MS = 120000; // 20 epochs of translation take ~10 s; a queue may add more
// The memory task's first training compiles three networks' programs (minutes on a busy
// server); its progress pushes show it is alive meanwhile.
const MEMORY_TRAIN_TIMEOUT_MS = 600000;

export function startTasks(root = document) {
  const sections = [...root.querySelectorAll("section.task")];
  if (!sections.length) return [];
  const lesson = document.querySelector("article.lesson")?.dataset.lesson;
  const socket = connect("/task");
  const tasks = sections.map((section) => new TaskController(section, socket, lesson));
  const shared = readSharedTask();
  const restored = shared && tasks.find((task) => task.id === shared.task);
  if (restored) restored.initial = shared.initial; // a shared link's state, used by the first open
  socket.on("progress", (report) => tasks.find((t) => t.id === report.task)?.progress(report));
  // Every task's open request goes out at once; the figures are embedded one task at a
  // time (the one a shared link points at first), so the first is ready soonest.
  inTurn(tasks, restored, (task, after) => {
    task.start(after);
    return task.ready.then(painted);
  });
  restored?.section.scrollIntoView({ block: "start" });
  return tasks;
}

export class TaskController {
  constructor(section, socket, lesson) {
    this.section = section;
    this.socket = socket;
    this.lesson = lesson;
    this.id = section.dataset.task;
    this.kind = section.dataset.kind;
    this.figures = new FigureSet(); // the widget's Bokeh documents and named sources
    this.queue = Promise.resolve(); // questions go one after another, so acks arrive in order
    this.training = false;
    this.opened = false;
    this.initial = null; // a shared link's {seed, epochs, config, ask, generate} (share.js)
    this.link = null; // the server's account of this task's state, for the Share button
    // A letter through the cell (text tasks with `walk`): the labs' "Check it by hand" panel
    const walk = section.querySelector("[data-walk]");
    this.arithmetic = walk ? new CellArithmetic(walk, this.figures) : null;
  }

  $(selector) {
    return this.section.querySelector(selector);
  }

  control(name) {
    return this.$(`[data-control="${name}"]`);
  }

  // Bind the controls and open the task; its figures wait for `after` (the task before).
  start(after = null) {
    this.after = after;
    this.ready = new Promise((resolve) => (this.markReady = resolve)); // opened, or failed to
    this.section.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) this.act(button.dataset.action);
    });
    for (const form of this.section.querySelectorAll("form[data-action]")) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.act(form.dataset.action);
      });
    }
    for (const name of ["temperature", "length", "seq-length"]) {
      const slider = this.control(name);
      if (!slider) continue;
      slider.addEventListener("input", () => {
        this.output(name, name === "temperature" ? Number(slider.value).toFixed(2) : slider.value);
        if (name === "temperature") this.ask("predict"); // the bars follow the slider
      });
    }
    this.control("walk-unit")?.addEventListener("change", () => this.walk("stay"));
    this.control("source")?.addEventListener("change", (event) => {
      if (event.target.value !== "user") this.act("set_text");
      else this.control("own")?.focus();
    });
    this.section.addEventListener("keydown", (event) => {
      // keys typed here belong to this widget, not to a lab elsewhere on the page
      if (event.target.closest("input, select, textarea")) event.stopPropagation();
    });
    this.socket.on("connect", () => this.open());
    this.socket.on("disconnect", () => this.status("Disconnected — reconnecting…", true));
    if (this.socket.connected) this.open();
  }

  enqueue(task) {
    const next = this.queue.then(task);
    this.queue = next.catch(() => {});
    return next;
  }

  async send(event, payload = {}, timeoutMs = undefined) {
    try {
      const ack = await request(this.socket, event, { task: this.id, ...payload }, timeoutMs);
      this.show(ack);
      return ack;
    } catch (error) {
      this.status(error.message, true);
      return null;
    }
  }

  open() {
    const initial = this.initial; // used once: a reconnection starts afresh
    this.initial = null;
    const replay = initial?.epochs ? ` (training ${initial.epochs} epochs)` : "";
    const again = this.opened ? "Reconnected: the network starts afresh" : "Opening…";
    this.status(initial ? `Opening the shared task${replay}…` : again);
    const opening = this.enqueue(async () => {
      const fresh = { lesson: this.lesson, task: this.id };
      let ack;
      let refused = null;
      try {
        ack = await this.askOpen({ ...fresh, ...initial }, initial ? TRAIN_TIMEOUT_MS : undefined);
      } catch (error) {
        if (!initial) return this.status(`Could not open the task: ${error.message}`, true);
        refused = error.message; // a bad link: say why, and open the lesson's own network
        try {
          ack = await this.askOpen(fresh);
        } catch (error) {
          return this.status(`Could not open the task: ${error.message}`, true);
        }
      }
      if (!this.figures.docs.length) {
        await this.after;
        // The letter walk's figures (a cell diagram among them) wait until the task's
        // own view is ready: the first view of the page is then ready sooner.
        const walking = (slot) => Boolean(this.$(`[data-walk] [data-figure="${slot}"]`));
        await this.figures.replace(this.section, ack.figures, walking);
      }
      this.fillInputs(ack);
      this.show(ack);
      this.opened = true;
      this.setBusy(false);
      addShareButton(this.section, {
        what: "task",
        title: "Copy a link that opens this task with the same text, training and question",
        url: () => taskShareUrl(this.id, this.link ?? {}),
        epochs: () => this.link?.epochs ?? 0,
        status: (text) => this.status(text),
      });
      if (refused) this.status(`Could not open the shared link: ${refused}`, true);
    });
    opening.finally(() => this.markReady());
    this.ready.then(painted).then(() => this.figures.finish(this.section));
    return opening;
  }

  // Open, asking again while no answer comes: a busy server's first open compiles the
  // network, which may outlast one request's wait (what it compiled stays compiled, so a
  // later open answers sooner). A refusal is final.
  async askOpen(payload, timeoutMs = undefined) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request(this.socket, "open", payload, timeoutMs);
      } catch (error) {
        if (error.ack || attempt === OPEN_ATTEMPTS || !this.socket.connected) throw error;
        this.status("The server is busy; still opening…");
      }
    }
  }

  fillInputs(ack) {
    if (ack.prediction) this.control("prefix").value = ack.prediction.prefix;
    if (ack.analysis) this.control("sentence").value = ack.analysis.sentence;
    if (ack.translation) this.control("date").value = ack.translation.text;
    const { ask, generate, config } = ack.link ?? {};
    for (const [name, value] of [["temperature", ask?.temperature], ["length", generate?.length]]) {
      const slider = this.control(name);
      if (!slider || value === undefined) continue;
      slider.value = String(value);
      this.output(name, name === "temperature" ? Number(slider.value).toFixed(2) : slider.value);
    }
    if (config?.text && this.control("own")) this.control("own").value = config.text;
    const list = this.$("datalist");
    if (list && ack.examples) {
      list.replaceChildren(...ack.examples.map((text) => Object.assign(document.createElement("option"), { value: text })));
    }
  }

  act(action) {
    if (action === "train") return this.train();
    if (action.startsWith("walk:")) return this.walk(action.slice(5));
    if (action === "reset") return this.enqueue(() => this.send("reset"));
    if (action === "set_text") {
      if (this.training) return this.status("Wait until the training has finished", true);
      return this.setText();
    }
    if (action === "set_length") {
      if (this.training) return this.status("Wait until the training has finished", true);
      return this.setLength();
    }
    return this.ask(action);
  }

  ask(action) {
    const payloads = {
      predict: () => ({ prefix: this.control("prefix").value, temperature: Number(this.control("temperature").value) }),
      generate: () => ({
        prefix: this.control("prefix").value,
        temperature: Number(this.control("temperature").value),
        length: Number(this.control("length").value),
      }),
      analyse: () => ({ sentence: this.control("sentence").value }),
      translate: () => ({ text: this.control("date").value }),
    };
    if (!payloads[action]) return null;
    const payload = payloads[action]();
    if (action === "predict" && this.pendingPredict) {
      this.pendingPredict = payload; // a dragged slider sends only its latest value
      return this.queue;
    }
    if (action === "predict") this.pendingPredict = payload;
    return this.enqueue(async () => {
      const sent = action === "predict" ? this.pendingPredict : payload;
      if (action === "predict") this.pendingPredict = null;
      const ack = await this.send(action, sent);
      if (ack) this.status(this.training ? this.trainingText ?? "Training…" : "Ready");
      return ack;
    });
  }

  // Step the letter walk (next, back, next_char, back_char, start, end, or stay to
  // change the unit shown); out-of-range units are the server's to refuse.
  walk(move) {
    const unit = Number(this.control("walk-unit")?.value ?? 0);
    return this.enqueue(async () => {
      const ack = await this.send("walk", { move, unit });
      if (ack && !this.training) this.status("Ready");
      return ack;
    });
  }

  setText() {
    const source = this.control("source").value;
    const payload = source === "user" ? { source, text: this.control("own").value } : { source };
    return this.enqueue(async () => {
      this.status("Switching text…");
      const ack = await this.send("set_text", payload);
      if (ack) {
        this.fillInputs(ack);
        this.status("Ready: a fresh network for this text");
      }
      return ack;
    });
  }

  setLength() {
    const length = Number(this.control("seq-length").value);
    return this.enqueue(async () => {
      this.status("Three fresh networks…");
      const ack = await this.send("set_length", { length });
      if (ack) this.status(`Ready: three fresh networks on ${length} letters`);
      return ack;
    });
  }

  async train() {
    if (this.training) return null;
    const epochs = Number(this.control("epochs").value);
    this.setTraining(true, epochs);
    // Not queued: questions asked while it trains are answered from the latest epoch.
    const timeout = this.kind === "memory" ? MEMORY_TRAIN_TIMEOUT_MS : TRAIN_TIMEOUT_MS;
    const ack = await this.send("train", { epochs }, timeout);
    this.setTraining(false);
    if (ack) this.status(`Trained ${epochs} epoch${epochs > 1 ? "s" : ""}`);
    return ack;
  }

  setTraining(training, epochs = 0) {
    this.training = training;
    this.section.dataset.training = String(training);
    const button = this.$('[data-action="train"]');
    button.disabled = training;
    button.textContent = training ? "Training…" : "Train";
    const bar = this.$('[data-readout="progress"]');
    bar.hidden = !training;
    bar.value = 0;
    if (training) this.status(`Training ${epochs} epoch${epochs > 1 ? "s" : ""}…`);
  }

  progress(report) {
    const bar = this.$('[data-readout="progress"]');
    bar.value = report.step / report.of;
    this.readout("epoch", String(report.epoch));
    if (report.sources) this.figures.apply(report.sources); // memory: the curves grow
    if (report.accuracies) {
      this.showAccuracies(report.accuracies);
      this.section.dataset.epoch = String(report.epoch);
      const a = report.accuracies;
      this.trainingText = `Training… epoch ${report.step} of ${report.of}: RNN ${percent(a.rnn)}, LSTM ${percent(a.lstm)}, GRU ${percent(a.gru)}`;
      if (this.training) this.status(this.trainingText); // not over the answer to the request
      return;
    }
    if (report.loss !== null) this.readout("loss", report.loss.toFixed(3));
    this.trainingText = `Training… epoch ${report.step} of ${report.of}, loss ${report.loss?.toFixed(3) ?? "–"}`;
    this.status(this.trainingText);
  }

  setBusy(busy) {
    for (const button of this.section.querySelectorAll("button")) button.disabled = busy;
  }

  output(name, text) {
    const el = this.$(`[data-output="${name}"]`);
    if (el) el.textContent = text;
  }

  readout(name, text) {
    setReadout(this.section, name, text);
  }

  status(text, alarming = false) {
    setStatus(this.section, text, alarming);
  }
}

Object.assign(TaskController.prototype, paintMethods);
