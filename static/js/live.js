// A live classroom session on a lesson page. The server holds the one shared lab;
// this page follows it (student, projector) or drives it (presenter). Every pushed
// state carries `seq`: an old one is dropped, a gap means we missed one, so we ask
// for the whole state again. Every few seconds the page beats: it counts as present
// while it does, learns the session's seq (behind it: a push was lost, e.g. while the
// server's Redis restarted, so it syncs) and whether the presenter is here. A beat or
// change refused as "unavailable" shows "reconnecting" and beats again sooner, until
// the server is back: no reload needed.
//
// The class is split by feature: this file joins, beats, reconnects and paints the
// shared state; the poll panel (live-polls.js) and the people in the room, exploring
// or removed (live-people.js), are methods of the same object, added below.
import { connect, request } from "./connection.js";
import { peopleMethods } from "./live-people.js";
import { pollMethods } from "./live-polls.js";

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
    // Another teacher of the class took over: our next beat says whether it was us.
    this.socket.on("takeover", () => this.role === "presenter" && this.beat());
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
    if (this.role === "projector" || this.role === "watcher") payload.watch = true;
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
      if (ack.presenting === false) this.takenOver(ack.presenter_name);
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
    else if (!this.reconnecting) this.say(this.greeting(), this.role === "watcher");
  }

  greeting() {
    if (this.role === "presenter") return "You are presenting.";
    if (this.role === "watcher") return `${this.takenBy || "Another teacher"} has taken over. You are no longer presenting.`;
    return "Following the class.";
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

  // The lab's figures as the lesson page brought them, by role (JSON text).
  lessonFigures() {
    const scripts = this.lab.section.querySelectorAll("script[data-figure-json]");
    return Object.fromEntries([...scripts].map((script) => [script.dataset.figureJson, script.textContent]));
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
    this.bindPolls();
    this.$('[data-live="allow-explore"]')?.addEventListener("change", (event) => {
      this.staff("explore", { allowed: event.target.checked });
    });
    this.$('[data-live="allow-guests"]')?.addEventListener("change", (event) => {
      this.staff("guests", { allowed: event.target.checked });
    });
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

  // Another teacher took the session over: this page follows it like a projector (the
  // server made its connection a watcher) and offers to take it back.
  takenOver(name) {
    if (this.role !== "presenter") return;
    this.role = "watcher";
    this.takenBy = name;
    this.lab.drive({ passive: true }); // controls off; a reconnect rejoins as a watcher
    this.panel.dataset.presenting = "false";
    this.article.dataset.liveRole = "watcher";
    const link = this.$('[data-role="take-back"]');
    if (link) link.hidden = false;
    this.say(this.greeting(), true);
  }

  // The presenter ended the session: the class's network stays on screen as it was,
  // and a student may go on with a copy of it (an explorer keeps the copy they have).
  end() {
    this.panel.dataset.ended = "true";
    if (this.mode === "explore") {
      this.say("This session has ended. Thank you! Your copy of the network is yours to keep exploring.");
      return;
    }
    this.lab.enable(false);
    const explore = this.$('[data-live="explore"]');
    if (!explore || this.removed) return this.say("This session has ended. Thank you!");
    explore.disabled = false;
    this.say("This session has ended. Thank you! You can go on exploring its network on your own.");
  }

  say(text, alarming = false) {
    const el = this.$('[data-role="live-status"]');
    el.textContent = text;
    el.classList.toggle("alarm", alarming);
  }
}

Object.assign(LiveSession.prototype, pollMethods, peopleMethods);
