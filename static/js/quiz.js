// Quizzes on a lesson page: collect the answer, send it, show what the server
// allows. The page knows prompts and opaque ids only; grading is on the server.
import { get, post } from "./api.js";

const MESSAGES = {
  recorded: {
    "after-last": "Answer recorded. You will see the result after your last attempt.",
    "on-reveal": "Answer recorded. The result is shown when the answer is revealed.",
    poll: "Vote recorded. Thank you!",
  },
};

function newSubmissionId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

class Quiz {
  constructor(section, lesson) {
    this.section = section;
    this.lesson = lesson;
    this.id = section.dataset.quiz;
    this.type = section.dataset.type;
    this.policy = section.dataset.policy;
    this.form = section.querySelector("form");
    this.pending = null; // { submission_id, answer } until the server has answered
    this.canReveal = false; // until the server says so (see showReveal)
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    section.querySelector('[data-action="reveal"]')?.addEventListener("click", () => this.reveal());
    if (this.type === "ordering") this.bindOrdering();
    section.addEventListener("quiz:refresh", () => this.refresh()); // e.g. a live poll's reveal
  }

  get url() {
    return `/api/lessons/${this.lesson}/quizzes/${this.id}`;
  }

  $(selector) {
    return this.section.querySelector(selector);
  }

  // -- the answer --------------------------------------------------------------
  answer() {
    const form = this.form;
    if (this.type === "single" || this.type === "poll") {
      const picked = form.querySelector('input[name="choice"]:checked');
      return picked ? { choice: picked.value } : null;
    }
    if (this.type === "multiple") {
      const picked = [...form.querySelectorAll('input[name="choice"]:checked')].map((el) => el.value);
      return picked.length ? { choices: picked } : null;
    }
    if (this.type === "numeric") {
      const text = form.elements.value.value.trim().replace(",", ".").replace("−", "-");
      if (!text) return null;
      const value = Number(text);
      return Number.isFinite(value) ? { value } : { invalid: "Enter a number, such as 0.731 or -1.5." };
    }
    if (this.type === "text") {
      const text = form.elements.text.value.trim();
      return text ? { text } : null;
    }
    if (this.type === "ordering") {
      return { order: [...this.section.querySelectorAll(".quiz-order-item")].map((li) => li.dataset.item) };
    }
    if (this.type === "matching") {
      const pairs = {};
      for (const select of form.querySelectorAll("select")) {
        if (!select.value) return { invalid: "Match every item first." };
        pairs[select.name] = select.value;
      }
      return { pairs };
    }
    return null;
  }

  restore(answer) {
    if (!answer) return;
    const form = this.form;
    if ("choice" in answer || "choices" in answer) {
      const picked = new Set(answer.choices ?? [answer.choice]);
      for (const input of form.querySelectorAll('input[name="choice"]')) input.checked = picked.has(input.value);
    } else if ("value" in answer) form.elements.value.value = String(answer.value);
    else if ("text" in answer) form.elements.text.value = answer.text;
    else if ("order" in answer) this.reorder(answer.order);
    else if ("pairs" in answer) {
      for (const select of form.querySelectorAll("select")) select.value = answer.pairs[select.name] ?? "";
    }
  }

  // -- ordering, operable by keyboard -------------------------------------------
  bindOrdering() {
    const list = this.$(".quiz-order");
    list.addEventListener("click", (event) => {
      const button = event.target.closest("[data-move]");
      if (button) this.move(button.closest("li"), Number(button.dataset.move), button);
    });
    list.addEventListener("keydown", (event) => {
      const li = event.target.closest("li");
      if (!li || !event.altKey || !["ArrowUp", "ArrowDown"].includes(event.key)) return;
      event.preventDefault();
      this.move(li, event.key === "ArrowUp" ? -1 : 1, li);
    });
  }

  move(li, by, focus) {
    if (this.locked) return;
    const sibling = by < 0 ? li.previousElementSibling : li.nextElementSibling;
    if (!sibling) return;
    if (by < 0) sibling.before(li);
    else sibling.after(li);
    focus.focus();
    const position = [...li.parentElement.children].indexOf(li) + 1;
    this.say(`Moved to position ${position}.`);
  }

  reorder(ids) {
    const list = this.$(".quiz-order");
    for (const id of ids) {
      const li = list.querySelector(`[data-item="${CSS.escape(id)}"]`);
      if (li) list.append(li);
    }
  }

  // -- talking to the server ---------------------------------------------------
  async submit() {
    const answer = this.answer();
    if (!answer) return this.say("Answer first, then check.", true);
    if (answer.invalid) return this.say(answer.invalid, true);
    // A retry of the same answer reuses its id, so it can never count twice.
    const same = this.pending && JSON.stringify(this.pending.answer) === JSON.stringify(answer);
    if (!same) this.pending = { submission_id: newSubmissionId(), answer };
    this.busy(true);
    try {
      const reply = await post(`${this.url}/attempts`, this.pending);
      this.pending = null;
      this.show(reply);
    } catch (error) {
      if (error.status && error.status !== 429) this.pending = null;
      if (error.status === 409 && error.code !== "live_unavailable") this.refresh();
      this.say(error.message, true);
    } finally {
      this.busy(false);
    }
  }

  async reveal() {
    if (!window.confirm("Show the answer? You will not be able to answer this question again.")) return;
    this.busy(true);
    try {
      this.show(await post(`${this.url}/reveal`, {}));
    } catch (error) {
      if (error.status === 409) await this.refresh(); // not yet: the state says why
      this.say(error.message, true);
    } finally {
      this.busy(false);
    }
  }

  async refresh() {
    const reply = await get(`/api/lessons/${this.lesson}/quizzes`).catch(() => null);
    if (reply?.quizzes?.[this.id]) this.show(reply.quizzes[this.id], { restore: true });
  }

  busy(on) {
    for (const button of this.form.querySelectorAll(".quiz-actions button")) {
      const waiting = button.dataset.action === "reveal" && !this.canReveal;
      button.disabled = on || this.locked || waiting;
    }
  }

  // "Show answer" waits for an attempt of the learner's own (or their last, by the
  // quiz's policy); the server says which and why, and refuses a reveal before.
  showReveal(state) {
    const button = this.$('[data-action="reveal"]');
    if (!button) return;
    this.canReveal = Boolean(state.can_reveal);
    button.disabled = this.locked || !this.canReveal;
    const why = this.$('[data-role="reveal-why"]');
    if (why) why.textContent = this.canReveal || state.revealed ? "" : this.revealHint(state.reveal_blocked);
  }

  revealHint(reason) {
    if (!reason) return "";
    return reason.charAt(0).toUpperCase() + reason.slice(1) + ".";
  }

  // -- showing the result ------------------------------------------------------
  show(state, { restore = false } = {}) {
    // Shut by the server (the class's live poll): nothing to answer or see here for now.
    this.section.classList.toggle("is-shut", Boolean(state.locked));
    if (state.locked) {
      this.clearMarks();
      this.$('[data-role="attempts"]').textContent = "";
      this.say(this.revealHint(state.locked));
      this.lock(true);
      this.section.classList.remove("is-final");
      return this.showReveal(state);
    }
    if (restore) this.restore(state.answer);
    const left = state.attempts_left;
    const attempts = this.$('[data-role="attempts"]');
    if (this.type === "poll") attempts.textContent = state.attempts_used ? "You voted." : "";
    else if (left === null || left === undefined) attempts.textContent = "";
    else attempts.textContent = left === 1 ? "1 attempt left" : `${left} attempts left`;
    const feedback = state.feedback;
    const final = feedback?.status === "final" || state.revealed || left === 0;
    if (final && this.type !== "poll") {
      const used = state.attempts_used;
      attempts.textContent = state.revealed ? "Answer revealed." : `${used} ${used === 1 ? "attempt" : "attempts"} used.`;
    }
    this.clearMarks();
    if (!feedback) {
      this.say("");
    } else if (feedback.status === "recorded") {
      this.say(MESSAGES.recorded[this.type === "poll" ? "poll" : this.policy] ?? "Answer recorded.");
    } else {
      this.mark(feedback);
    }
    this.lock(final && this.type !== "poll");
    this.showReveal(state);
  }

  clearMarks() {
    for (const el of this.section.querySelectorAll("[data-item]")) el.classList.remove("is-right", "is-wrong", "is-answer");
    for (const el of this.section.querySelectorAll(".quiz-choice-feedback, .quiz-item-note")) el.textContent = "";
  }

  mark(feedback) {
    const final = feedback.status === "final";
    const verdict = feedback.correct
      ? "Right."
      : feedback.score > 0
        ? `Partly right: ${Math.round(feedback.score * 100)} %.`
        : "Not quite.";
    const parts = [verdict];
    if (!final && !feedback.correct && feedback.attempts_left) parts.push("Try again.");
    for (const [id, mark] of Object.entries(feedback.choices ?? {})) {
      const row = this.$(`.quiz-choice[data-item="${CSS.escape(id)}"]`);
      if (!row) continue;
      row.querySelector(".quiz-choice-feedback").innerHTML = mark.feedback ?? "";
      if (final) {
        if (mark.correct) row.classList.add("is-answer");
        else if (mark.picked) row.classList.add("is-wrong");
      } else if (mark.feedback) row.classList.add(feedback.correct ? "is-right" : "is-wrong");
    }
    for (const [id, mark] of Object.entries(feedback.items ?? {})) {
      this.$(`[data-item="${CSS.escape(id)}"]`)?.classList.add(mark.in_place ? "is-right" : "is-wrong");
    }
    for (const [id, mark] of Object.entries(feedback.lefts ?? {})) {
      this.$(`[data-item="${CSS.escape(id)}"]`)?.classList.add(mark.correct ? "is-right" : "is-wrong");
    }
    if (final && feedback.solution) parts.push(this.describeSolution(feedback.solution));
    this.say(parts.filter(Boolean).join(" "), !feedback.correct && !final);
    if (final && feedback.explanation) {
      const note = document.createElement("div");
      note.className = "quiz-explanation";
      note.innerHTML = feedback.explanation; // sanitised on the server, from the lesson
      this.$('[data-role="feedback"]').append(note);
    }
    window.renderMathInElement?.(this.section, { throwOnError: false });
  }

  describeSolution(solution) {
    if ("value" in solution && this.type === "numeric") return `The answer: ${Number(solution.value).toPrecision(4)}.`;
    if ("value" in solution) return `The value in your lab: ${Number(solution.value).toPrecision(4)}.`;
    if ("text" in solution) return `An accepted answer: “${solution.text}”.`;
    if ("order" in solution) {
      const names = solution.order.map((id) => this.$(`[data-item="${CSS.escape(id)}"] .quiz-order-text`)?.textContent.trim());
      return `The order: ${names.join(" → ")}.`;
    }
    if ("pairs" in solution) {
      for (const [left, right] of Object.entries(solution.pairs)) {
        const select = this.form.querySelector(`select[name="${CSS.escape(left)}"]`);
        const note = document.createElement("span");
        note.className = "quiz-item-note";
        note.textContent = ` → ${select?.querySelector(`option[value="${CSS.escape(right)}"]`)?.textContent ?? ""}`;
        select?.after(note);
      }
      return "The right matches are shown beside each item.";
    }
    return "";
  }

  lock(locked) {
    this.locked = locked;
    for (const el of this.form.querySelectorAll("input, select, button")) el.disabled = locked;
    this.section.classList.toggle("is-final", locked);
  }

  say(text, alarming = false) {
    const box = this.$('[data-role="feedback"]');
    box.textContent = text;
    box.classList.toggle("alarm", alarming);
  }
}

export async function startQuizzes(article) {
  const sections = [...article.querySelectorAll("section.quiz")];
  if (!sections.length) return [];
  const lesson = article.dataset.lesson;
  const quizzes = sections.map((section) => new Quiz(section, lesson));
  const reply = await get(`/api/lessons/${lesson}/quizzes`).catch(() => null);
  for (const quiz of quizzes) {
    const state = reply?.quizzes?.[quiz.id];
    if (state) quiz.show(state, { restore: true });
  }
  article.dataset.quizzesReady = "true";
  return quizzes;
}
