// A live classroom session on a lesson page. The server holds the one shared lab;
// this page follows it (student, projector) or drives it (presenter). Every pushed
// state carries `seq`: an old one is dropped, a gap means we missed one, so we ask
// for the whole state again. Every few seconds the page beats: it counts as present
// while it does, learns the session's seq (behind it: a push was lost, e.g. while the
// server's Redis restarted, so it syncs) and whether the presenter is here. A beat or
// change refused as "unavailable" shows "reconnecting" and beats again sooner, until
// the server is back: no reload needed.
import { connect, request } from "./connection.js";

const NAME_KEY = "unrolled-live-name";
const BEAT_MS = 5000; // the server counts a page as gone 15 s after its last beat
const RETRY_MS = 1000; // while reconnecting

export class LiveSession {
  constructor(article, lab, labSocket) {
    this.article = article;
    this.panel = document.querySelector("[data-live-panel]");
    this.code = article.dataset.liveCode;
    this.role = article.dataset.liveRole; // presenter | student | projector
    this.lab = lab; // the LabController of the session's lab
    this.labSocket = labSocket;
    this.socket = connect("/live");
    this.seq = -1;
    this.mode = "follow"; // follow | explore (students only)
    this.latest = null; // newest shared state, kept while exploring
    // The class's figures change only in a state that carries the new ones (join and
    // sync states carry them too, once the network is no longer the lesson's).
    this.classFigures = null; // by role; null: the lesson page's own
    this.classShape = "lesson"; // their JSON, to compare
    this.drawn = "lesson"; // the shape the lab shows (undefined: its own, after exploring)
    this.joined = false;
    this.reconnecting = false;
  }

  $(selector) {
    return this.panel.querySelector(selector);
  }

  async start() {
    this.socket.on("state", (view) => this.onState(view));
    this.socket.on("presence", (p) => this.showPresence(p.present));
    this.socket.on("votes", (tally) => this.showVotes(tally));
    this.socket.on("reveal", (reveal) => this.showReveal(reveal));
    this.socket.on("presenter", (p) => this.showPresenter(p.here));
    this.socket.on("connect", () => this.joined && this.join()); // a reconnect: in step again at once
    this.socket.on("disconnect", () => this.say("Connection lost — reconnecting…", true));
    this.bindPanel();
    this.beatSoon(BEAT_MS);
    if (this.role === "presenter") {
      await this.lab.drive({
        // join() paints the state, new figures first; the lab must not embed them again
        // (two embeds at once leave two copies of each figure on the page).
        open: async () => {
          const { figures, ...state } = (await this.join()).state;
          await this.painting;
          return state;
        },
        send: async (event, payload) => {
          try {
            const ack = await this.present(event, payload);
            this.apply(ack.state);
          } catch (error) {
            if (!error.kept) this.trouble(error);
            throw error;
          }
          return null; // applied above, in seq order
        },
      });
    } else {
      await this.lab.drive({ passive: true });
      // A refused join is said on the page; the beats try again while reconnecting.
      if (this.role === "projector") await this.join().catch(() => null);
      else if (localStorage.getItem(NAME_KEY)) await this.join().catch(() => null);
      else this.askName();
    }
  }

  // -- joining -------------------------------------------------------------------
  askName() {
    const form = this.$('[data-role="name-form"]');
    form.hidden = false;
    form.querySelector("input").value = localStorage.getItem(NAME_KEY) ?? "";
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = form.querySelector("input").value.trim();
      if (!name) return;
      localStorage.setItem(NAME_KEY, name);
      form.hidden = true;
      await this.join().catch(() => null);
    }, { once: true });
  }

  async join() {
    const payload = { code: this.code };
    if (this.role === "student") payload.name = localStorage.getItem(NAME_KEY) ?? "";
    if (this.role === "projector") payload.watch = true;
    try {
      const ack = await request(this.socket, "join", payload);
      this.joined = true;
      this.seq = -1;
      this.apply(ack.state);
      if (ack.presence) this.showPresence(ack.presence);
      if (ack.votes) this.showVotes(ack.votes);
      if (ack.my_answer) this.markMine(ack.my_answer);
      this.say(this.role === "presenter" ? "You are presenting." : "Following the class.");
      this.article.dataset.liveJoined = "true";
      if (ack.reconnecting) this.trouble();
      else this.showPresenter(ack.presenter ?? true);
      return ack;
    } catch (error) {
      if (this.trouble(error)) throw error;
      this.say(`Could not join: ${error.message}`, true);
      throw error;
    }
  }

  // -- heartbeat and reconnecting --------------------------------------------------------
  beatSoon(ms) {
    clearTimeout(this.beatTimer);
    this.beatTimer = setTimeout(() => this.beat(), ms);
  }

  async beat() {
    try {
      if (!this.joined) {
        if (this.reconnecting) await this.join(); // the first join was refused: again
        return;
      }
      const ack = await request(this.socket, "beat", { code: this.code }, 10000);
      if (this.reconnecting) {
        this.reconnecting = false;
        this.article.dataset.liveConnection = "ok";
        this.say(this.role === "presenter" ? "Reconnected. You are presenting." : "Reconnected. Following the class.");
      }
      if (ack.presence) this.showPresence(ack.presence);
      // Twice in a row: just after Redis restarted empty, the presenter's page may not
      // have beaten yet (a "left" pushed on their disconnect is shown at once).
      if (ack.presenter || this.absent) this.showPresenter(ack.presenter);
      this.absent = ack.presenter === false;
      if (ack.seq > this.seq && this.mode === "follow") await this.resync(); // missed a push
    } catch (error) {
      this.trouble(error);
    } finally {
      this.beatSoon(this.reconnecting ? RETRY_MS : BEAT_MS);
    }
  }

  // The server cannot reach its store (or did not answer): say so, retry sooner.
  // Whether ``error`` (if any) was that kind of trouble.
  trouble(error) {
    const code = error?.ack?.error?.code;
    if (error && code !== "unavailable" && code !== "busy" && error.ack) return false;
    if (!this.reconnecting) this.say("The class's server is reconnecting… your page will catch up by itself.", true);
    this.reconnecting = true;
    this.article.dataset.liveConnection = "reconnecting";
    this.beatSoon(RETRY_MS);
    return true;
  }

  showPresenter(here) {
    const gone = here === false && this.role !== "presenter";
    if (gone === (this.article.dataset.livePresenter === "gone")) return;
    this.article.dataset.livePresenter = gone ? "gone" : "here";
    if (this.panel.dataset.ended === "true") return;
    if (gone) this.say("The presenter has left. The class will go on when they are back.", true);
    else if (!this.reconnecting) this.say(this.role === "presenter" ? "You are presenting." : "Following the class.");
  }

  // -- the shared state ----------------------------------------------------------
  onState(view) {
    if (view.seq <= this.seq) return; // stale, or our own ack got here first
    if (this.seq >= 0 && view.seq !== this.seq + 1) return this.resync(); // missed one
    this.apply(view);
  }

  async resync() {
    const ack = await request(this.socket, "sync", { code: this.code }).catch(() => null);
    if (ack) this.apply(ack.state);
  }

  // States are shown in seq order; new figures (the network's shape changed) are
  // embedded before the data that fills them.
  apply(view) {
    if (!view || view.seq <= this.seq) return;
    this.seq = view.seq;
    this.latest = view;
    this.painting = (this.painting ?? Promise.resolve()).then(() => this.paint(view));
    return this.painting;
  }

  async paint(view) {
    if (view.figures) {
      this.classFigures = view.figures;
      this.classShape = JSON.stringify(view.figures);
    }
    if (this.mode === "follow" && this.drawn !== this.classShape) {
      await this.lab.figures.replace(this.lab.section, this.classFigures ?? this.lessonFigures());
      this.drawn = this.classShape;
    }
    if (this.mode === "follow") this.lab.show(view);
    if (this.mode === "follow" && view.message && view.message !== this.message) this.lab.status(view.message);
    this.message = view.message;
    this.article.dataset.liveSeq = String(view.seq);
    this.showPoll(view.poll);
    this.showExplore(view.explore);
    if (view.ended) this.end();
  }

  // -- follow / explore (students) -----------------------------------------------
  // The lab's figures as the lesson page brought them, by role (JSON text).
  lessonFigures() {
    const scripts = this.lab.section.querySelectorAll("script[data-figure-json]");
    return Object.fromEntries([...scripts].map((script) => [script.dataset.figureJson, script.textContent]));
  }

  async explore() {
    this.mode = "explore";
    this.drawn = undefined; // our own copy may change shape: draw the class's on return
    this.panel.dataset.mode = "explore";
    await this.lab.drive({
      open: () => request(this.labSocket, "open", { lesson: this.article.dataset.lesson, lab: this.lab.id, live: this.code }),
      send: (event, payload) => request(this.labSocket, event, { lab: this.lab.id, ...payload }),
    });
    this.say("Exploring your own copy. The class goes on without you.");
  }

  async follow() {
    this.mode = "follow";
    this.panel.dataset.mode = "follow";
    await this.lab.drive({ passive: true });
    this.seq = -1;
    await this.resync(); // back to the class's state, whatever happened meanwhile
    this.say("Following the class.");
  }

  showExplore(allowed) {
    const button = this.$('[data-live="explore"]');
    if (button) button.disabled = !allowed && this.mode === "follow";
    const toggle = this.$('[data-live="allow-explore"]');
    if (toggle) toggle.checked = Boolean(allowed);
    if (!allowed && this.mode === "explore") this.follow();
  }

  // -- polls -----------------------------------------------------------------------
  showPoll(poll) {
    const box = this.$('[data-role="poll"]');
    if (!box) return;
    const quiz = poll && this.article.querySelector(`section.quiz[data-quiz="${CSS.escape(poll.quiz)}"]`);
    if (!quiz) {
      box.hidden = true;
      box.dataset.quiz = "";
      return;
    }
    if (box.dataset.quiz !== poll.quiz) {
      box.dataset.quiz = poll.quiz;
      box.querySelector('[data-role="poll-prompt"]').innerHTML = quiz.querySelector(".quiz-prompt").innerHTML;
      const list = box.querySelector('[data-role="poll-choices"]');
      list.replaceChildren();
      for (const row of quiz.querySelectorAll(".quiz-choice")) {
        const item = document.createElement("li");
        item.dataset.item = row.dataset.item;
        const html = row.querySelector("label span").innerHTML;
        item.innerHTML = this.role === "student"
          ? `<button type="button" class="poll-choice">${html}</button><span class="poll-count"></span>`
          : `<span class="poll-label">${html}</span><span class="poll-bar"><span></span></span><span class="poll-count">0</span>`;
        list.append(item);
      }
      box.querySelector('[data-role="poll-status"]').textContent = "";
    }
    box.hidden = false;
    box.dataset.open = String(poll.open);
    for (const button of box.querySelectorAll(".poll-choice")) button.disabled = !poll.open;
  }

  async vote(choice) {
    const quiz = this.$('[data-role="poll"]').dataset.quiz;
    try {
      await request(this.socket, "answer", { code: this.code, quiz, answer: { choice } });
      this.markMine({ choice });
      this.$('[data-role="poll-status"]').textContent = "Vote recorded. You can change it while the poll is open.";
    } catch (error) {
      this.$('[data-role="poll-status"]').textContent = error.message;
    }
  }

  markMine(answer) {
    for (const item of this.panel.querySelectorAll('[data-role="poll-choices"] li')) {
      item.classList.toggle("mine", item.dataset.item === answer.choice);
    }
  }

  showVotes(tally) {
    const total = Math.max(1, tally.answered);
    for (const item of this.panel.querySelectorAll('[data-role="poll-choices"] li')) {
      const n = tally.counts[item.dataset.item] ?? 0;
      const count = item.querySelector(".poll-count");
      if (count) count.textContent = String(n);
      const bar = item.querySelector(".poll-bar span");
      if (bar) bar.style.width = `${(100 * n) / total}%`;
    }
    const who = this.$('[data-role="answered"]');
    if (who) who.textContent = `${tally.answered} answered${tally.who.length ? `: ${tally.who.join(", ")}` : ""}`;
  }

  showReveal(reveal) {
    const total = Math.max(1, Object.values(reveal.counts).reduce((a, b) => a + b, 0));
    for (const item of this.panel.querySelectorAll('[data-role="poll-choices"] li')) {
      const n = reveal.counts[item.dataset.item] ?? 0;
      const count = item.querySelector(".poll-count");
      if (count) count.textContent = `${n} (${Math.round((100 * n) / total)} %)`;
      if (reveal.solution?.choices) item.classList.toggle("is-answer", reveal.solution.choices.includes(item.dataset.item));
    }
  }

  // -- the presenter's panel -------------------------------------------------------
  // A change that would wipe the class's training is refused until confirmed: the
  // server says what would be lost; the presenter confirms (sent again with
  // `confirm`) or keeps the network (the lab's controls go back to what it is).
  async present(event, payload) {
    const send = (extra) => request(this.socket, "present", { code: this.code, action: event, ...payload, ...extra });
    try {
      return await send({});
    } catch (error) {
      if (error.ack?.error?.code !== "confirm_needed") throw error;
      if (!(await this.confirm(error.message))) {
        throw Object.assign(new Error("Nothing changed: the class keeps its network."), { kept: true });
      }
      return send({ confirm: true });
    }
  }

  confirm(text) {
    const dialog = this.$('[data-role="confirm"]');
    dialog.querySelector('[data-role="confirm-text"]').textContent = text;
    dialog.returnValue = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
      dialog.showModal();
    });
  }


  bindPanel() {
    this.panel.addEventListener("click", async (event) => {
      const action = event.target.closest("[data-live]")?.dataset.live;
      const choice = event.target.closest(".poll-choice")?.closest("li")?.dataset.item;
      if (choice && this.role === "student") return this.vote(choice);
      if (action === "explore") return this.explore();
      if (action === "follow") return this.follow();
      if (action === "end") {
        if (!window.confirm("End the session for everyone?")) return;
        return this.staff("end", {});
      }
      if (action?.startsWith("poll-")) {
        const op = action.slice(5);
        const quiz = this.$('[data-role="poll-pick"]')?.value;
        return this.staff("poll", op === "open" ? { op, quiz } : { op });
      }
    });
    this.$('[data-live="allow-explore"]')?.addEventListener("change", (event) => {
      this.staff("explore", { allowed: event.target.checked });
    });
  }

  async staff(event, payload) {
    try {
      const ack = await request(this.socket, event, { code: this.code, ...payload });
      if (ack.state) this.apply(ack.state);
      if (ack.summary) this.say(`Session ended: ${ack.summary.steps} changes, ${ack.summary.present.length} students.`);
    } catch (error) {
      if (!this.trouble(error)) this.say(error.message, true);
    }
  }

  showPresence(names) {
    const list = this.$('[data-role="presence"]');
    if (!list) return;
    list.replaceChildren(...names.map((name) => Object.assign(document.createElement("li"), { textContent: name })));
    this.$('[data-role="presence-count"]').textContent = String(names.length);
  }

  end() {
    this.lab.enable(false);
    this.say("This session has ended. Thank you!");
    this.panel.dataset.ended = "true";
  }

  say(text, alarming = false) {
    const el = this.$('[data-role="live-status"]');
    el.textContent = text;
    el.classList.toggle("alarm", alarming);
  }
}
