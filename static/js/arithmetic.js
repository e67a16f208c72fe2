// The cell view's arithmetic: the chosen unit's numbers written out under the diagram
// (the server's `cell_arithmetic`, course/lab/views/arithmetic.py), and a focusable
// button over each box of the diagram that points at its line and says what it is.

const HINT = "Hover or focus a box in the diagram, or a line here, for what it is.";

export class CellArithmetic {
  constructor(section, figures) {
    this.section = section;
    this.figures = figures;
    this.panel = section.querySelector("[data-arithmetic]");
    this.overlay = section.querySelector("[data-cell-overlay]");
    this.rows = new Map(); // box name → the row's data
    this.boxes = null; // the cell_boxes columns last received
    this.pointed = null; // the box (or row) hovered or focused
    if (!this.panel) return;
    const slot = section.querySelector('[data-figure="cell"]');
    if (slot && window.ResizeObserver) new ResizeObserver(() => this.place()).observe(slot);
    const point = (event) => {
      const el = event.target.closest?.("[data-box]");
      if (el) this.point(el.dataset.box);
    };
    const leave = (event) => {
      if (!event.relatedTarget?.closest?.("[data-cell-overlay] [data-box], [data-arith-rows] [data-box]")) this.point(null);
    };
    for (const el of [this.overlay, this.panel]) {
      el?.addEventListener("mouseover", point);
      el?.addEventListener("focusin", point);
      el?.addEventListener("mouseout", leave);
      el?.addEventListener("focusout", leave);
    }
  }

  // New data from a payload's sources (either part may be missing: only what changed comes).
  update(sources) {
    if (!this.panel) return;
    if (sources.cell_boxes) {
      this.boxes = { ...this.boxes, ...sources.cell_boxes };
      this.place();
    }
    if (sources.cell_arithmetic) this.show(sources.cell_arithmetic);
  }

  show({ heading, rows }) {
    this.panel.querySelector("[data-arith-heading]").textContent = heading;
    this.rows = new Map(rows.map((row) => [row.box, row]));
    const list = this.panel.querySelector("[data-arith-rows]");
    list.replaceChildren(...rows.map((row) => line(row)));
    this.point(this.pointed);
  }

  // Light the line of box `name` and say what it is; null: back to the hint.
  point(name) {
    this.pointed = name;
    for (const el of this.panel.querySelectorAll("[data-arith-rows] li")) {
      el.classList.toggle("lit", el.dataset.box === name);
    }
    const explain = this.panel.querySelector("[data-arith-explain]");
    const text = name === null ? HINT : this.describe(name);
    if (explain.dataset.source === text) return;
    explain.dataset.source = text;
    explain.textContent = text;
    window.renderMathInElement?.(explain, { throwOnError: false });
  }

  describe(name) {
    const row = this.rows.get(name);
    const box = this.box(name);
    const what = box ? `${box.label} = ${box.value}` : name;
    if (row) return `${what}. ${row.explain}`;
    if (["x", "h_prev", "c_prev"].includes(name)) return `${what}: read by this cell, computed before it.`;
    return `${what}: not computed yet at this step.`;
  }

  box(name) {
    const index = this.boxes?.name?.indexOf(name) ?? -1;
    if (index < 0) return null;
    return { label: this.boxes.label[index], value: this.boxes.value[index] };
  }

  // A button over each box of the diagram on screen (wide or narrow), placed with
  // the figure's own scales so it sits on the box at any width.
  place() {
    if (!this.overlay || !this.boxes?.x) return;
    const found = this.figures.plotView("cell");
    if (!found) return;
    const { view, role } = found;
    const frame = view.frame;
    const ys = role === "cell_narrow" ? this.boxes.y_narrow : this.boxes.y;
    const focused = document.activeElement?.closest?.("[data-cell-overlay] [data-box]")?.dataset.box;
    const halfW = Math.abs(frame.x_scale.compute(0.725) - frame.x_scale.compute(0));
    const halfH = Math.abs(frame.y_scale.compute(0.475) - frame.y_scale.compute(0));
    const buttons = this.boxes.name.map((name, k) => {
      const x = frame.x_scale.compute(this.boxes.x[k]);
      const y = frame.y_scale.compute(ys[k]);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "cell-box";
      button.dataset.box = name;
      button.setAttribute("aria-label", `${this.boxes.label[k]} = ${this.boxes.value[k]}`);
      Object.assign(button.style, {
        left: `${x - halfW}px`, top: `${y - halfH}px`, width: `${2 * halfW}px`, height: `${2 * halfH}px`,
      });
      return button;
    });
    this.overlay.replaceChildren(...buttons);
    if (focused) this.overlay.querySelector(`[data-box="${focused}"]`)?.focus();
  }
}

// One line of the panel: the label, the equation, then the same with the numbers,
// each number marked with the term it is (data-term) for a reader or a test.
function line(row) {
  const li = document.createElement("li");
  li.dataset.box = row.box;
  li.dataset.name = row.name;
  li.tabIndex = 0;
  if (row.current) li.classList.add("current");
  const label = Object.assign(document.createElement("span"), { className: "arith-label", textContent: row.label });
  const equation = Object.assign(document.createElement("span"), { className: "arith-equation", textContent: row.equation });
  const numbers = document.createElement("span");
  numbers.className = "arith-numbers";
  numbers.append("= ");
  for (const [text, term] of row.numbers) {
    if (term === null) {
      numbers.append(text);
    } else {
      const number = Object.assign(document.createElement("span"), { textContent: text });
      number.dataset.term = term;
      numbers.append(number);
    }
  }
  li.append(label, equation, numbers);
  return li;
}
