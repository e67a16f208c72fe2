// The lesson's onboarding tour, driven by driver.js: it starts by itself on the
// first visit to a lesson (remembered per lesson in localStorage) and the
// "Take the tour" button replays it at any time. driver.js gives the keys:
// → next, ← back, Esc closes.

const seenKey = (slug) => `unrolled.tour.${slug}`;

function remember(slug) {
  try {
    localStorage.setItem(seenKey(slug), "seen");
  } catch {
    // storage off (private mode): the tour will offer itself again next time
  }
}

function seen(slug) {
  try {
    return localStorage.getItem(seenKey(slug)) === "seen";
  } catch {
    return true; // no storage: never start uninvited
  }
}

// Start on a first visit? Not when the page opens on a shared lab (the learner came
// for that view), not inside a live session (the presenter leads), and not under
// automation (other browser tests drive the page; tests/browser/test_tours.py
// switches this off to check the first visit).
function shouldAutoStart(article) {
  if (seen(article.dataset.lesson) || navigator.webdriver) return false;
  // A learner who has read part of this lesson before (the server knows, whatever this
  // browser's storage says) is returning: the button still offers the tour.
  if (article.dataset.seen) return false;
  if (article.classList.contains("live") || location.hash.includes("lab=")) return false;
  return true;
}

export async function setUpTour(article, ready = Promise.resolve()) {
  const data = document.getElementById("lesson-tour");
  const button = document.querySelector(".tour-button");
  if (!data || !button) return null;
  const steps = JSON.parse(data.textContent);
  const { driver } = await import(button.dataset.driver);
  const slug = article.dataset.lesson;
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)");

  const run = () => {
    remember(slug);
    const tour = driver({
      steps: steps.map((step) => ({
        element: step.element,
        popover: { title: step.title, description: step.text },
      })),
      animate: !reduced.matches,
      smoothScroll: !reduced.matches,
      showProgress: true,
      progressText: "{{current}} of {{total}}",
      nextBtnText: "Next →",
      prevBtnText: "← Back",
      doneBtnText: "Done",
      popoverClass: "unrolled-tour",
      stageRadius: 8,
      onPopoverRender: (popover) => {
        popover.wrapper.setAttribute("role", "dialog");
        popover.wrapper.setAttribute("aria-label", `Tour: ${popover.title.textContent}`);
        popover.closeButton.setAttribute("aria-label", "Close the tour");
        window.renderMathInElement?.(popover.description, { throwOnError: false });
        popover.nextButton.focus({ preventScroll: true });
      },
      onDestroyed: () => {
        document.body.classList.remove("touring");
        button.focus({ preventScroll: true });
      },
    });
    document.body.classList.add("touring");
    tour.drive();
    return tour;
  };

  button.hidden = false;
  button.addEventListener("click", () => run());
  const controller = { run };
  window.unrolledTour = controller; // for tests and the console
  if (shouldAutoStart(article)) {
    // Let the views settle first, so the highlights sit on their final places.
    await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 3000))]);
    controller.active = run();
  }
  return controller;
}
