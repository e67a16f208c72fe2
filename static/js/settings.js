// A lab's settings: the network and data controls and the note that says what the
// network is now (lab.js drives them).

// The network and data controls (`controls:` in the lab block): each sends its value
// when let go; the log-scale learning-rate slider holds log10 of the rate.
const LOG = (input) => input.dataset.scale === "log";

function settingValue(input) {
  if (input.type === "checkbox") return input.checked;
  const raw = Number.parseFloat(input.value);
  if (LOG(input)) return Number((10 ** raw).toPrecision(2));
  if (input.dataset.config === "noise") return Number(raw.toFixed(2));
  return Number.isNaN(raw) ? input.value : raw;
}

export function startSettings(lab) {
  for (const input of lab.section.querySelectorAll("[data-config]")) {
    const show = () => {
      const out = lab.$(`[data-config-value="${input.dataset.config}"]`);
      const value = settingValue(input);
      if (out) out.textContent = String(value);
      if (input.type === "range") input.setAttribute("aria-valuetext", String(value));
    };
    input.addEventListener("input", show);
    input.addEventListener("change", () => {
      show();
      lab.configure({ [input.dataset.config]: settingValue(input) });
    });
  }
}

// The network note follows the lab as it is now: its size, and what the last change
// (or Reset) did, else the template's standing sentence (after a link, a reload).
export function showConfigNote(lab, { layers, hidden }, message) {
  const note = lab.$('[data-readout="config"]');
  if (!note) return;
  const size = `${layers} layer${layers === 1 ? "" : "s"} × ${hidden} units`;
  const text = message ? `${message} Now ${size}.` : `${size}. ${note.dataset.standing ?? ""}`.trim();
  if (note.textContent !== text) note.textContent = text; // a live region: say it once
}

export function syncSettings(lab, info) {
  const config = info.config ?? {};
  for (const input of lab.section.querySelectorAll("[data-config]")) {
    const value = config[input.dataset.config];
    const typing = document.activeElement === input && !["range", "checkbox"].includes(input.type);
    if (value === undefined || typing) continue;
    if (input.type === "checkbox") {
      input.checked = Boolean(value);
      continue;
    }
    input.value = String(LOG(input) ? Math.log10(value).toFixed(1) : value);
    const out = lab.$(`[data-config-value="${input.dataset.config}"]`);
    if (out) out.textContent = String(value);
    if (input.type === "range") input.setAttribute("aria-valuetext", String(value));
  }
  const rnnOnly = lab.$('[data-config-only="rnn"]');
  if (rnnOnly) rnnOnly.hidden = config.model !== "rnn";
  const unit = lab.$('[data-control="unit"]');
  if (unit && info.hidden) {
    unit.max = String(info.hidden - 1);
    if (Number(unit.value) > info.hidden - 1) unit.value = "0";
  }
}
