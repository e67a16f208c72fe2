// The words a widget (lab, playground, task) shows beside its figures.

// Set a widget's `[data-readout=name]` text (untouched when it already says it, so a
// screen reader's live region does not repeat itself).
export function setReadout(section, name, text) {
  const el = section.querySelector(`[data-readout="${name}"]`);
  if (el && el.textContent !== text) el.textContent = text;
}

// A widget's status line; `alarming` marks it as a problem.
export function setStatus(section, text, alarming = false) {
  const el = section.querySelector('[data-readout="status"]');
  if (!el) return;
  el.textContent = text;
  el.classList.toggle("alarm", alarming);
}
