// The time-step scrubber: drag to any t of the window, as RNN-visualizer's time bar,
// and the stepper jumps there (the server's `jump`): to the start of that time step in
// the backward pass if it is in it, in the forward pass otherwise. One jump is in
// flight at a time; a drag that moved on meanwhile sends where it is now.

export class Scrubber {
  constructor(lab) {
    this.lab = lab;
    this.input = lab.$('[data-control="scrub"]');
    this.wanted = null; // the t (1-based) asked for and not sent yet
    this.sending = false;
    this.input?.addEventListener("input", () => {
      this.wanted = Number(this.input.value);
      this.label(this.wanted);
      this.send();
    });
  }

  async send() {
    if (this.sending || this.wanted === null) return;
    const t = this.wanted;
    this.wanted = null;
    this.sending = true;
    const phase = this.lab.frame?.phase === "backward" ? "backward" : "forward";
    try {
      await this.lab.send("jump", { phase, t: t - 1 });
    } finally {
      this.sending = false;
    }
    this.send();
  }

  // Follow the stepper (not while a drag's jumps are on their way).
  sync(frame, window) {
    if (!this.input) return;
    if (window) this.input.max = String(window);
    if (this.sending || this.wanted !== null || frame.t === null) return;
    this.input.value = String(frame.t + 1);
    this.label(frame.t + 1);
  }

  label(t) {
    this.input.setAttribute("aria-valuetext", `t = ${t} of ${this.input.max}`);
  }
}
