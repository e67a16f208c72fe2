// Entry point of a lesson page: typeset the maths, start every lab, bind keys.
import { connect } from "./connection.js";
import { LabController } from "./lab.js";
import { trackSections } from "./progress.js";
import { startQuizzes } from "./quiz.js";
import { startPredictions } from "./predict.js";

const article = document.querySelector("article.lesson");
if (article && window.renderMathInElement) {
  window.renderMathInElement(article, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  });
}

if (article) {
  trackSections(article);
  startQuizzes(article);
  startPredictions(article);
}

const sections = [...document.querySelectorAll("section.lab")];
if (sections.length) {
  const socket = connect("/lab");
  const liveLab = article.dataset.liveLab;
  const labs = sections.map(
    (section) =>
      new LabController(section, socket, article.dataset.lesson, section.dataset.lab === liveLab ? { passive: true } : null),
  );
  let active = labs[0];
  for (const lab of labs) {
    lab.section.addEventListener("focusin", () => (active = lab));
    lab.section.addEventListener("pointerdown", () => (active = lab));
    lab.ready = lab.start();
  }
  const shared = labs.find((lab) => lab.id === liveLab);
  if (shared) {
    import("./live.js").then(async ({ LiveSession }) => {
      await shared.ready;
      const live = new LiveSession(article, shared, socket);
      window.unrolledLive = live; // for tests and the console
      await live.start();
      if (live.role !== "student") shared.section.scrollIntoView({ block: "start" });
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.altKey || event.ctrlKey || event.metaKey) return;
    const keys = { " ": "play", ArrowRight: "step", Backspace: "reset" };
    const action = keys[event.key];
    if (!action) return;
    if (event.key === " " && event.target.closest("button")) return; // Space presses the button itself
    event.preventDefault();
    active.act(action);
  });
}

if (document.querySelector("section.playground")) import("./playground.js").then((m) => m.startPlaygrounds());
