// When to do the work that can wait: the page shows its first widget soonest when the
// rest lets the browser paint in between.

// Resolves once the browser has painted what the page holds now (or soon, in a tab
// that is not painting).
export function painted() {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 200);
  });
}

// Resolves after the tasks already queued (a socket message, a click) have run.
export function yielded() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// Start widgets one after another, so the first is ready soonest: `first` (the one a
// shared link points at) if given, then page order. `start(widget, after)` starts one
// whose figures wait for `after` and returns what the next one waits for.
export function inTurn(widgets, first, start) {
  let after = null;
  for (const widget of first ? [first, ...widgets.filter((w) => w !== first)] : widgets) {
    after = start(widget, after);
  }
}
