// Entry point of a lesson page: typeset the maths, start every lab, bind keys.
import { connect } from "./connection.js";
import { LabController } from "./lab.js";
import { trackSections } from "./progress.js";
import { startQuizzes } from "./quiz.js";
import { startPredictions } from "./predict.js";
import { inTurn, painted } from "./schedule.js";
import { addShareButtons, restoreShared } from "./share.js";

const article = document.querySelector("article.lesson");

if (article) {
  trackSections(article);
  startPredictions(article);
}

const sections = [...document.querySelectorAll("section.lab")];
let labsReady = Promise.resolve();
const starting = []; // the first widget of each kind, ready
if (sections.length) {
  const socket = connect("/lab");
  const liveLab = article.dataset.liveLab;
  const labs = sections.map(
    (section) =>
      new LabController(section, socket, article.dataset.lesson, section.dataset.lab === liveLab ? { passive: true } : null),
  );
  const restored = article.dataset.liveLab ? null : restoreShared(labs);
  let active = restored ?? labs[0];
  // One lab at a time, so the first is ready soonest: the one a shared link points at,
  // then page order. (Every lab's open request is sent at once; only the figures wait.)
  // A lab is ready with the figures it shows on screen; once it is painted ready, it
  // embeds the rest (lab.js, views.js), then the next lab starts.
  inTurn(labs, restored, (lab, after) => {
    lab.section.addEventListener("focusin", () => (active = lab));
    lab.section.addEventListener("pointerdown", () => (active = lab));
    lab.ready = lab.start(after);
    lab.settled = lab.ready.then(painted, painted).then(() => lab.figures.finish(lab.section));
    return lab.settled;
  });
  starting.push((restored ?? labs[0]).ready);
  labsReady = Promise.allSettled(labs.map((lab) => lab.settled));
  if (!article.dataset.liveLab) addShareButtons(labs);
  restored?.ready.then(() => restored.section.scrollIntoView({ block: "start" }));
  const shared = labs.find((lab) => lab.id === liveLab);
  if (shared) {
    import("./live.js").then(async ({ LiveSession }) => {
      await shared.ready;
      const live = new LiveSession(article, shared, socket);
      window.unrolledLive = live; // for tests and the console
      await live.start();
      // the class looks at the shared lab (the projector shows it under the join address)
      if (article.dataset.liveRole !== "projector") shared.section.scrollIntoView({ block: "start" });
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.altKey || event.ctrlKey || event.metaKey) return;
    if (document.body.classList.contains("driver-active")) return; // the tour has the arrow keys
    const keys = { " ": "play", ArrowRight: "step", Backspace: "reset", "+": "add-layer", "=": "add-layer", "-": "remove-layer", o: "zoom", "?": "help" };
    const action = keys[event.key];
    if (!action) return;
    if (event.key === " " && event.target.closest("button")) return; // Space presses the button itself
    event.preventDefault();
    active.act(action);
  });
}

if (document.querySelector("section.playground")) {
  starting.push(import("./playground.js").then((m) => m.startPlaygrounds()[0]?.ready));
}
if (document.querySelector("section.task")) starting.push(import("./task.js").then((m) => m.startTasks()[0]?.ready));

// What can wait until the first widget is painted ready: the maths further down, the
// quizzes' questions (fetched) and the tour (which starts once every lab is ready).
const firstShown = (
  starting.length ? Promise.race(starting.map((ready) => ready.catch(() => {}))) : Promise.resolve()
).then(painted);

// Typeset the maths (after the widgets' open requests are on their way): what is on the
// screen or near it now, the rest later.
if (article && window.renderMathInElement) {
  const options = {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  };
  const far = (el) => el.getBoundingClientRect().top > 2 * window.innerHeight;
  const blocks = [...article.children];
  const later = blocks.filter(far);
  for (const el of blocks.filter((el) => !far(el))) window.renderMathInElement(el, options);
  performance.mark("unrolled:math");
  firstShown.then(() => {
    for (const el of later) window.renderMathInElement(el, options);
    performance.mark("unrolled:math:all");
  });
}

if (article) firstShown.then(() => startQuizzes(article));

if (article && document.getElementById("lesson-tour")) {
  firstShown.then(() => import("./tour.js")).then((m) => m.setUpTour(article, labsReady));
}
