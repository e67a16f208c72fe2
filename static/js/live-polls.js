// A live session's poll panel, as methods of LiveSession (live.js adds them to it):
// the poll and its lettered options, the votes and counts, the reveal, the timer and
// the presenter's own typed questions.
import { request } from "./connection.js";

export const pollMethods = {
  // The poll comes whole in the state: one order of lettered options for everyone, and
  // once the presenter reveals them, the counts of every round (side by side) and the
  // answer. Staff (and the projector, if the presenter says so) get the current round's
  // counts as they come in ("votes"). A student's own votes come with the join ack.
  showPoll(poll) {
    const box = this.$('[data-role="poll"]');
    if (!box) return;
    this.poll = poll;
    this.shutInline(poll);
    if (!poll) {
      box.hidden = true;
      box.dataset.poll = "";
      clearInterval(this.ticking);
      return;
    }
    const key = `${poll.number}`;
    if (box.dataset.poll !== key) {
      box.dataset.poll = key;
      this.mine = this.mineFor === poll.number ? this.mine : {};
      this.mineFor = poll.number;
      this.tally = null;
      this.$('[data-role="poll-prompt"]').innerHTML = poll.prompt; // sanitised or escaped on the server
      this.buildChoices(poll);
      this.$('[data-role="poll-status"]').textContent = "";
      window.renderMathInElement?.(box, { throwOnError: false });
    }
    if (!poll.open && box.dataset.open === "true") this.$('[data-role="poll-status"]').textContent = "";
    box.hidden = false;
    const counts = this.$('[data-live="poll-live"]');
    if (counts) counts.checked = poll.live_counts;
    box.dataset.open = String(poll.open);
    box.dataset.kind = poll.kind;
    box.dataset.round = String(poll.round);
    const stage = poll.open ? "Voting is open" : "Voting is closed";
    this.$('[data-role="poll-round"]').textContent = poll.round > 1 ? `Revote · ${stage}` : stage;
    for (const el of box.querySelectorAll(".poll-choice, [data-role='poll-number'] input, [data-role='poll-number'] button")) {
      el.disabled = !poll.open;
    }
    const number = this.$('[data-role="poll-number"]');
    if (number) number.hidden = poll.kind !== "number" || this.role !== "student";
    this.markMine();
    this.paintCounts();
    this.tick();
    clearInterval(this.ticking);
    if (poll.open && poll.ends_at) this.ticking = setInterval(() => this.tick(), 250);
  },

  buildChoices(poll) {
    const list = this.$('[data-role="poll-choices"]');
    list.replaceChildren();
    for (const choice of poll.choices) {
      const item = document.createElement("li");
      item.dataset.item = choice.id;
      item.dataset.letter = choice.letter;
      const head = this.role === "student"
        ? `<button type="button" class="poll-choice"><span class="poll-letter">${choice.letter}</span><span class="poll-text">${choice.html}</span></button>`
        : `<span class="poll-label"><span class="poll-letter">${choice.letter}</span><span class="poll-text">${choice.html}</span></span>`;
      item.innerHTML = `${head}<span class="poll-counts" data-role="counts"></span>`;
      list.append(item);
    }
  },

  // The series to draw: the revealed rounds, else the current round's live counts
  // (staff; the projector while the presenter shows them), else nothing.
  series() {
    const poll = this.poll;
    if (!poll) return [];
    if (poll.results) {
      return Object.entries(poll.results).map(([round, t]) => ({ label: Object.keys(poll.results).length > 1 ? `Round ${round}` : "", ...t }));
    }
    const live = this.tally && this.tally.poll === poll.number && this.tally.round === poll.round;
    if (live && (this.role === "presenter" || poll.live_counts)) return [{ label: "", live: true, ...this.tally }];
    return [];
  },

  paintCounts() {
    const poll = this.poll;
    if (!poll) return;
    const series = this.series();
    const box = this.$('[data-role="poll"]');
    box.dataset.results = poll.results ? "shown" : "hidden";
    const bar = (n, total, label) => {
      const share = total ? Math.round((100 * n) / total) : 0;
      const title = label ? `<span class="poll-round">${label}</span>` : "";
      return `<span class="poll-series">${title}<span class="poll-bar"><span style="width:${share}%"></span></span><span class="poll-count">${n} (${share} %)</span></span>`;
    };
    if (poll.kind === "choice") {
      for (const item of box.querySelectorAll('[data-role="poll-choices"] li')) {
        const cell = item.querySelector('[data-role="counts"]');
        cell.innerHTML = series.map((s) => bar(s.counts[item.dataset.item] ?? 0, s.answered, s.label)).join("");
        item.classList.toggle("is-answer", Boolean(poll.solution?.includes(item.dataset.item)));
      }
    } else {
      // A number question: every value given, smallest first, with its count per round.
      const values = [...new Set(series.flatMap((s) => Object.keys(s.counts)))].sort((a, b) => Number(a) - Number(b));
      const rows = values.map((v) => `<li data-value="${v}"><span class="poll-label">${v}</span><span class="poll-counts">${series.map((s) => bar(s.counts[v] ?? 0, s.answered, s.label)).join("")}</span></li>`);
      const list = this.$('[data-role="poll-choices"]');
      list.innerHTML = rows.join("");
    }
    const solution = this.$('[data-role="poll-solution"]');
    solution.textContent = this.solutionText(poll);
    const answered = this.$('[data-role="answered"]');
    if (answered) {
      const live = this.tally && this.tally.poll === poll.number && this.tally.round === poll.round ? this.tally : null;
      answered.textContent = live ? `${live.answered} answered${live.who?.length ? `: ${live.who.join(", ")}` : ""}` : "";
    }
  },

  solutionText(poll) {
    if (!poll.solution) return "";
    if (poll.kind === "number") return `The answer: ${poll.solution.map(String).join(", ")}`;
    const letters = poll.choices.filter((c) => poll.solution.includes(c.id)).map((c) => c.letter);
    return `The answer: ${letters.join(", ")}`;
  },

  tick() {
    const timer = this.$('[data-role="poll-timer"]');
    const poll = this.poll;
    if (!timer) return;
    if (!poll?.open || !poll.ends_at) {
      timer.textContent = "";
      return;
    }
    const left = Math.max(0, Math.ceil((poll.ends_at - (Date.now() + (this.clockOffset ?? 0))) / 1000));
    timer.textContent = left > 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left` : "Time is up";
  },

  // The lesson's own copy of the poll's question: the server refuses it while it is
  // the poll and unrevealed; ask it again whenever that may have changed.
  shutInline(poll) {
    if (this.role !== "student") return;
    const shut = poll?.quiz && !(poll.solution || (!poll.graded && poll.results)) ? poll.quiz : "";
    if (shut === this.shutQuiz) return;
    for (const quiz of new Set([this.shutQuiz, shut])) {
      if (!quiz) continue;
      const section = this.article.querySelector(`section.quiz[data-quiz="${CSS.escape(quiz)}"]`);
      section?.dispatchEvent(new CustomEvent("quiz:refresh"));
    }
    this.shutQuiz = shut;
  },

  async vote(answer) {
    const poll = this.poll;
    if (!poll) return;
    const status = this.$('[data-role="poll-status"]');
    try {
      const ack = await request(this.socket, "answer", { code: this.code, poll: poll.number, answer });
      this.mine = { ...this.mine, [String(ack.round)]: answer };
      this.markMine();
      status.textContent = "Vote recorded. You can change it while the poll is open.";
    } catch (error) {
      status.textContent = error.message;
    }
  },

  markMine() {
    const poll = this.poll;
    if (!poll || this.role !== "student") return;
    const answer = this.mine?.[String(poll.round)];
    for (const item of this.panel.querySelectorAll('[data-role="poll-choices"] li')) {
      item.classList.toggle("mine", item.dataset.item === answer?.choice);
    }
    const rounds = Object.entries(this.mine ?? {}).map(([round, a]) => {
      const shown = a.choice ? poll.choices.find((c) => c.id === a.choice)?.letter : a.value;
      return poll.round > 1 ? `round ${round}: ${shown}` : `${shown}`;
    });
    this.$('[data-role="poll-mine"]').textContent = rounds.length ? `Your vote: ${rounds.join(" · ")}` : "";
  },

  showVotes(tally) {
    this.tally = tally;
    this.paintCounts();
  },

  // The poll's own controls: a student's number, the presenter's typed question and
  // live-counts switch (the panel's buttons go through bindPanel's click).
  bindPolls() {
    this.$('[data-role="poll-number"]')?.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = event.target.elements.value.value.trim().replace(",", ".").replace("−", "-");
      const value = Number(text);
      if (!text || !Number.isFinite(value)) {
        this.$('[data-role="poll-status"]').textContent = "Enter a number, such as 3 or -0.5.";
        return;
      }
      this.vote({ value });
    });
    this.$('[data-role="poll-ask"]')?.addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask(event.target);
    });
    this.$('[data-role="poll-ask"]')?.addEventListener("change", (event) => {
      if (event.target.name === "kind") this.$('[data-role="poll-ask"]').dataset.kind = event.target.value;
    });
    this.$('[data-live="poll-live"]')?.addEventListener("change", (event) => {
      this.staff("poll", { op: "live", on: event.target.checked });
    });
  },

  pollOp(op) {
    if (op === "open") return this.staff("poll", { op, quiz: this.$('[data-role="poll-pick"]').value });
    if (op === "timer") return this.staff("poll", { op, seconds: Number(this.$('[data-role="poll-seconds"]').value) });
    if (op === "type") {
      const form = this.$('[data-role="poll-ask"]');
      form.hidden = !form.hidden;
      if (!form.hidden) form.elements.prompt.focus();
      return;
    }
    return this.staff("poll", { op });
  },

  // A question the presenter typed: options one per line, or a number.
  async ask(form) {
    const kind = form.elements.kind.value;
    const question = { kind, prompt: form.elements.prompt.value };
    if (kind === "choice") {
      question.choices = form.elements.options.value.split("\n").map((line) => line.trim()).filter(Boolean);
      if (form.elements.correct.value) question.correct = form.elements.correct.value;
    } else if (form.elements.answer.value.trim()) {
      const answer = Number(form.elements.answer.value.trim().replace(",", "."));
      if (!Number.isFinite(answer)) return this.say("The answer must be a number.", true);
      question.answer = answer;
    }
    if (await this.staff("poll", { op: "ask", question })) {
      form.reset();
      form.dataset.kind = "choice";
      form.hidden = true;
    }
  },
};
