// Tweened source updates: numbers that change glide to their new values instead of
// jumping, so the eye can follow what one epoch of training did to them.
//
// A tween writes intermediate columns into the source each animation frame and ends by
// setting exactly the data it was given. A newer update arriving mid-tween starts from
// what is drawn at that moment. Without motion (reduced-motion preference, a hidden page,
// columns whose length changed) the data is simply set.

export const DURATION_MS = 250;

const easeOut = (t) => 1 - (1 - t) ** 3;
const running = new WeakMap(); // source → { request: its animation frame, data: where it goes }

function motionWanted() {
  if (document.visibilityState !== "visible") return false; // no frames would come
  return !window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
}

// The columns of `data` worth animating from the source's current (drawn) values:
// null when one of them changed length, or none of them changed at all.
function startingValues(source, data, columns) {
  const from = {};
  let moved = false;
  for (const name of columns) {
    const now = source.data[name];
    const next = data[name];
    if (!now || !next || now.length !== next.length) return null;
    from[name] = Array.from(now);
    moved ||= from[name].some((v, i) => v !== next[i]);
  }
  return moved ? from : null;
}

// The data a source is heading for: its own data, or a running tween's end.
export function target(source) {
  return running.get(source)?.data ?? source.data;
}

// Whether a tween is moving this source's numbers right now.
export function moving(source) {
  return running.has(source);
}

// Set `source.data` to `data`, tweening `columns` (numbers; a null is set at once).
export function tweenTo(source, data, columns, duration = DURATION_MS) {
  const pending = running.get(source);
  if (pending) window.cancelAnimationFrame(pending.request);
  running.delete(source);
  const from = motionWanted() ? startingValues(source, data, columns) : null;
  if (!from) {
    source.data = data;
    return;
  }
  const start = performance.now();
  const frame = (time) => {
    const t = Math.min(1, Math.max(0, (time - start) / duration));
    if (t >= 1 || document.visibilityState !== "visible") {
      running.delete(source);
      source.data = data; // exactly the server's numbers at the end
      return;
    }
    const k = easeOut(t);
    const drawn = { ...data };
    for (const name of columns) {
      drawn[name] = data[name].map((to, i) => {
        const was = from[name][i];
        return typeof to === "number" && typeof was === "number" ? was + (to - was) * k : to;
      });
    }
    source.data = drawn;
    running.set(source, { request: window.requestAnimationFrame(frame), data });
  };
  source.data = { ...data, ...from }; // other columns (x, the targets) move at once
  running.set(source, { request: window.requestAnimationFrame(frame), data });
}
