// The people in a live session, as methods of LiveSession (live.js adds them to it): a
// student following the class or exploring their own copy, brought back or removed by
// the presenter, and the list of who is here that staff see.
import { request } from "./connection.js";

export const peopleMethods = {
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
  },

  // The presenter sees who is exploring on their own.
  tellMode(exploring) {
    request(this.socket, "mode", { code: this.code, exploring }).catch(() => null);
  },

  // The presenter brought us back to the class's view.
  async pulled() {
    if (this.mode === "explore") await this.follow();
    this.say("Your teacher brought you back to the class.");
  },

  // The presenter removed us: the server has closed our connection to the session.
  removedBy(message) {
    this.removed = true;
    clearTimeout(this.beatTimer);
    this.lab.enable(false);
    this.panel.dataset.removed = "true";
    this.article.dataset.liveJoined = "removed";
    this.say(message, true);
  },

  async follow() {
    this.mode = "follow";
    this.panel.dataset.mode = "follow";
    await this.lab.drive({ passive: true });
    this.seq = -1;
    await this.resync(); // back to the class's state, whatever happened meanwhile
    this.say("Following the class.");
    this.tellMode(false);
  },

  showExplore(allowed) {
    const button = this.$('[data-live="explore"]');
    if (button) button.disabled = !allowed && this.mode === "follow";
    const toggle = this.$('[data-live="allow-explore"]');
    if (toggle) toggle.checked = Boolean(allowed);
    const ended = this.panel.dataset.ended === "true"; // an ended class's copy is theirs to keep
    if (!allowed && this.mode === "explore" && !ended) this.follow();
  },

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
  },

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
  },
};
