// Entry point of a lesson page: typeset the maths, start every lab, bind keys.
import { connect } from "./connection.js";
import { LabController } from "./lab.js";
import { trackSections } from "./progress.js";
import { startQuizzes } from "./quiz.js";
import { startPredictions } from "./predict.js";
import { addShareButtons, restoreShared } from "./share.js";

const article = document.querySelector("article.lesson");

if (article) {
  trackSections(article);
  startQuizzes(article);
  startPredictions(article);
}

const sections = [...document.querySelectorAll("section.lab")];
let labsReady = Promise.resolve();
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
  let after = null;
  for (const lab of restored ? [restored, ...labs.filter((l) => l !== restored)] : labs) {
    lab.section.addEventListener("focusin", () => (active = lab));
    lab.section.addEventListener("pointerdown", () => (active = lab));
    lab.ready = lab.start(after);
    after = lab.ready;
  }
  labsReady = Promise.allSettled(labs.map((lab) => lab.ready));
  if (!article.dataset.liveLab) addShareButtons(labs);
  restored?.ready.then(() => restored.section.scrollIntoView({ block: "start" }));
  const shared = labs.find((lab) => lab.id === liveLab);
  if (shared) {
    import("./live.js").then(async ({ LiveSession }) => {
      await shared.ready;
      const live = new LiveSession(article, shared, socket);
      window.unrolledLive = live; // for tests and the console
      await live.start();
      shared.section.scrollIntoView({ block: "start" }); // the class looks at the shared lab
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

// Typeset the maths (after the labs' open requests are on their way).
if (article && window.renderMathInElement) {
  window.renderMathInElement(article, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  });
  performance.mark("unrolled:math");
}

if (document.querySelector("section.playground")) import("./playground.js").then((m) => m.startPlaygrounds());
if (document.querySelector("section.task")) import("./task.js").then((m) => m.startTasks());

if (article && document.getElementById("lesson-tour")) {
  import("./tour.js").then((m) => m.setUpTour(article, labsReady));
}
