// What a task widget shows from an ack or a progress push, as methods of
// TaskController (task.js adds them to it): the named sources, the readouts and the
// dataset attributes tests and styles read.

export function percent(value) {
  return value === null || value === undefined ? "–" : `${(100 * value).toFixed(0)} %`;
}

export const paintMethods = {
  show(ack) {
    this.figures.apply(ack.sources);
    if (ack.link) this.link = ack.link;
    if (ack.state) this.showState(ack.state);
    if (ack.text) this.showText(ack.text);
    if (ack.example) this.showExample(ack.example);
    if (ack.prediction) {
      const p = ack.prediction;
      this.readout("asked", p.prefix);
      this.readout("next", `“${p.next === " " ? "space" : p.next}” with p = ${p.p.toFixed(3)}`);
    }
    if (ack.walk) this.showWalk(ack.walk, ack.sources);
    if (ack.generated !== undefined) {
      this.readout("prefix", ack.link?.generate?.prefix ?? ack.prediction.prefix);
      this.readout("generated", ack.generated);
      this.section.dataset.generated = ack.generated;
    }
    if (ack.analysis) {
      this.readout("label", `${ack.analysis.label} (${percent(Math.max(...ack.analysis.probs))})`);
      this.section.dataset.label = ack.analysis.label;
    }
    if (ack.translation) {
      this.readout("translation", ack.translation.translation || "(nothing)");
      this.section.dataset.translation = ack.translation.translation;
    }
    if (!this.training) this.status("Ready");
  },

  showWalk(walk, sources) {
    this.arithmetic?.update(sources ?? {});
    const shown = (c) => (c === " " ? "␣" : c);
    this.readout("walk-step", walk.label);
    this.readout("walk-position", `${walk.position + 1} of ${walk.positions}`);
    this.readout("walk-chars", walk.chars);
    this.readout("walk-char", shown(walk.char));
    this.readout("walk-dims", String(sources?.lw_input?.x?.length ?? "…"));
    this.readout("walk-choice", walk.choice === null ? "not computed yet" : `‘${shown(walk.choice)}’`);
    const section = this.$("[data-walk]");
    Object.assign(section.dataset, { step: walk.step, t: String(walk.t), position: String(walk.position) });
  },

  showState(state) {
    this.readout("epoch", String(state.epoch));
    this.section.dataset.epoch = String(state.epoch);
    if (state.cells) return this.showMemory(state);
    const last = state.loss.length ? state.loss[state.loss.length - 1] : null;
    this.readout("loss", last === null ? "–" : last.toFixed(3));
    const accuracy = state.accuracy.length ? state.accuracy[state.accuracy.length - 1] : null;
    this.readout("score", percent(state.score ?? accuracy));
  },

  showMemory(state) {
    const last = Object.fromEntries(
      Object.entries(state.cells).map(([cell, net]) => [cell, net.accuracy[state.epoch - 1] ?? null]),
    );
    this.showAccuracies(last);
    this.readout("seq-length", String(state.length));
    const slider = this.control("seq-length");
    if (slider && !this.training) {
      slider.value = String(state.length);
      this.output("seq-length", slider.value);
    }
  },

  showExample(example) {
    const span = this.$('[data-readout="letters"]');
    const letters = [...example.letters].map((letter, t) => {
      const el = document.createElement(t === example.marked ? "mark" : "span");
      el.textContent = letter;
      return el;
    });
    span.replaceChildren(...letters);
    span.setAttribute("aria-label", `${example.letters}, letter ${example.marked + 1} marked`);
    this.readout("marked-letter", example.answer);
    this.readout("marked-at", String(example.marked + 1));
    this.readout("after", String(example.letters.length - example.marked - 1));
  },

  showText(info) {
    this.readout("source", { abab: "abab…", lorem: "lorem ipsum", user: "your text" }[info.source]);
    this.readout("length", String(info.length));
    this.readout("shown", info.shown + (info.length > info.shown.length ? " …" : ""));
    const picker = this.control("source");
    if (picker) picker.value = info.source;
    this.readout("prefix", "");
    this.readout("generated", "");
  },

  showAccuracies(accuracies) {
    for (const cell of ["rnn", "lstm", "gru"]) this.readout(`acc-${cell}`, percent(accuracies[cell]));
  },
};
