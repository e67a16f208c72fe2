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
    this.socket.on("presence", (p) => this.showPresence(p.present, p.people));
    this.socket.on("pull", () => this.pulled());
    this.socket.on("removed", (r) => this.removedBy(r.message));
    this.socket.on("votes", (tally) => this.showVotes(tally));
    this.socket.on("presenter", (p) => this.showPresenter(p.here));
    // A reconnect: in step again at once (a refusal is said on the page).
    this.socket.on("connect", () => this.joined && this.join().catch(() => null));
    this.socket.on("disconnect", (reason) => {
      if (this.removed) return;
      this.say("Connection lost — reconnecting…", true);
      // The server closed our connection (with Redis, its "removed" may come after):
      // connect again, and the rejoin says why if we may not.
      if (reason === "io server disconnect") setTimeout(() => this.socket.connect(), RETRY_MS);
    });
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
      // A member of the session's class is in under their class name: nothing to ask.
      if (this.role === "projector" || this.panel.dataset.member) await this.join().catch(() => null);
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
      if (ack.presence) this.showPresence(ack.presence, ack.people);
      if (ack.seat) this.$('[data-role="seat"]').textContent = `as ${ack.seat.name}${ack.seat.guest ? " (guest)" : ""}`;
      if (ack.now) this.clockOffset = ack.now - Date.now();
      if (ack.mine) {
        await this.painting; // the poll first: a new poll forgets the votes of the last
        this.mine = ack.mine;
        this.mineFor = this.poll?.number;
        this.markMine();
      }
      if (ack.votes) this.showVotes(ack.votes);
      this.say(this.role === "presenter" ? "You are presenting." : "Following the class.");
      this.article.dataset.liveJoined = "true";
      if (ack.reconnecting) this.trouble();
      else this.showPresenter(ack.presenter ?? true);
      return ack;
    } catch (error) {
      if (error?.ack?.error?.code === "removed") this.removedBy(error.message);
      if (this.trouble(error)) throw error;
      if (!this.removed) this.say(`Could not join: ${error.message}`, true);
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
      if (ack.presence) this.showPresence(ack.presence, ack.people);
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
    const guests = this.$('[data-live="allow-guests"]');
    if (guests && view.access) guests.checked = Boolean(view.access.guests);
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
    this.tellMode(true);
  }

  // The presenter sees who is exploring on their own.
  tellMode(exploring) {
    request(this.socket, "mode", { code: this.code, exploring }).catch(() => null);
  }

  // The presenter brought us back to the class's view.
  async pulled() {
    if (this.mode === "explore") await this.follow();
    this.say("Your teacher brought you back to the class.");
  }

  // The presenter removed us: the server has closed our connection to the session.
  removedBy(message) {
    this.removed = true;
    clearTimeout(this.beatTimer);
    this.lab.enable(false);
    this.panel.dataset.removed = "true";
    this.article.dataset.liveJoined = "removed";
    this.say(message, true);
  }

  async follow() {
    this.mode = "follow";
    this.panel.dataset.mode = "follow";
    await this.lab.drive({ passive: true });
    this.seq = -1;
    await this.resync(); // back to the class's state, whatever happened meanwhile
    this.say("Following the class.");
    this.tellMode(false);
  }

  showExplore(allowed) {
    const button = this.$('[data-live="explore"]');
    if (button) button.disabled = !allowed && this.mode === "follow";
    const toggle = this.$('[data-live="allow-explore"]');
    if (toggle) toggle.checked = Boolean(allowed);
    if (!allowed && this.mode === "explore") this.follow();
  }

  // -- polls -----------------------------------------------------------------------
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
  }

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
  }

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
  }

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
  }

  solutionText(poll) {
    if (!poll.solution) return "";
    if (poll.kind === "number") return `The answer: ${poll.solution.map(String).join(", ")}`;
    const letters = poll.choices.filter((c) => poll.solution.includes(c.id)).map((c) => c.letter);
    return `The answer: ${letters.join(", ")}`;
  }

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
  }

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
  }

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
  }

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
  }

  showVotes(tally) {
    this.tally = tally;
    this.paintCounts();
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
      if (choice && this.role === "student") return this.vote({ choice });
      if (action === "explore") return this.explore();
      if (action === "follow") return this.follow();
      const who = event.target.closest("[data-who]")?.dataset.who;
      if (action === "pull" && who) return this.staff("pull", { who });
      if (action === "remove" && who) {
        const name = event.target.closest("li")?.dataset.name ?? "this student";
        if (!window.confirm(`Remove ${name} from the session? They cannot join it again.`)) return;
        return this.staff("remove", { who });
      }
      if (action === "end") {
        if (!window.confirm("End the session for everyone?")) return;
        return this.staff("end", {});
      }
      if (action?.startsWith("poll-")) return this.pollOp(action.slice(5));
    });
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
    this.$('[data-live="allow-explore"]')?.addEventListener("change", (event) => {
      this.staff("explore", { allowed: event.target.checked });
    });
    this.$('[data-live="allow-guests"]')?.addEventListener("change", (event) => {
      this.staff("guests", { allowed: event.target.checked });
    });
  }

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
  }

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
  }

  async staff(event, payload) {
    try {
      const ack = await request(this.socket, event, { code: this.code, ...payload });
      if (ack.state) this.apply(ack.state);
      if (ack.summary) this.say(`Session ended: ${ack.summary.steps} changes, ${ack.summary.present.length} students.`);
      if (ack.removed) this.say(`${ack.removed} was removed from the session.`);
      if (ack.pulled) this.say(`${ack.pulled} is back with the class.`);
      return true;
    } catch (error) {
      if (!this.trouble(error)) this.say(error.message, true);
      return false;
    }
  }

  // Who is here, for staff: each student with "exploring" and the buttons to bring
  // them back or remove them (``people``: see course/live/access.py).
  showPresence(names, people) {
    const list = this.$('[data-role="presence"]');
    if (!list) return;
    const rows = people ?? names.map((name) => ({ name }));
    list.replaceChildren(...rows.map((person) => this.personRow(person)));
    this.$('[data-role="presence-count"]').textContent = String(rows.length);
    const exploring = rows.filter((person) => person.exploring).length;
    this.$('[data-role="exploring-count"]').textContent = exploring ? `(${exploring} exploring)` : "";
  }

  personRow(person) {
    const item = document.createElement("li");
    item.dataset.name = person.name;
    item.append(Object.assign(document.createElement("span"), { textContent: person.name }));
    if (person.exploring) item.append(Object.assign(document.createElement("span"), { className: "tag", textContent: "exploring" }));
    if (!person.id) return item;
    item.dataset.who = person.id;
    const button = (action, text) => {
      const made = Object.assign(document.createElement("button"), { type: "button", className: "quiet", textContent: text });
      made.dataset.live = action;
      made.setAttribute("aria-label", `${text} ${person.name}`);
      return made;
    };
    if (person.exploring) item.append(button("pull", "Bring back"));
    item.append(button("remove", "Remove"));
    return item;
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
