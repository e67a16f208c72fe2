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
