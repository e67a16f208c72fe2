// The cell view's code panel: the lines of JAX or NumPy that compute the current step
// (the server's `cell_code`, course/lab/views/code.py), highlighted as the server
// tokenised them, the current step's lines marked, the chosen unit's values after #.

const KEY = "unrolled.code-flavour";

function stored() {
  try {
    return localStorage.getItem(KEY) === "numpy" ? "numpy" : "jax";
  } catch {
    return "jax";
  }
}

export class CellCode {
  constructor(section) {
    this.panel = section.querySelector("[data-code]");
    this.data = null; // the last `cell_code` received: lines as ids into the table
    this.table = null; // `cell_code_table`: each line's tokens per flavour (sent when the cell kind changes)
    if (!this.panel) return;
    this.flavour = stored();
    this.lines = this.panel.querySelector("[data-code-lines]");
    for (const button of this.panel.querySelectorAll("[data-code-flavour]")) {
      button.addEventListener("click", () => this.choose(button.dataset.codeFlavour));
    }
    this.mark();
  }

  update(sources) {
    if (!this.panel) return;
    if (sources.cell_code_table) {
      this.table = sources.cell_code_table;
      this.renderSetup();
    }
    if (sources.cell_code) this.data = sources.cell_code;
    if (sources.cell_code_table || sources.cell_code) this.render();
  }

  choose(flavour) {
    this.flavour = flavour;
    try {
      localStorage.setItem(KEY, flavour);
    } catch {
      // private mode: the choice lasts the page
    }
    this.mark();
    this.renderSetup();
    this.render();
  }

  mark() {
    for (const button of this.panel.querySelectorAll("[data-code-flavour]")) {
      button.setAttribute("aria-pressed", String(button.dataset.codeFlavour === this.flavour));
    }
    this.panel.dataset.flavour = this.flavour;
  }

  render() {
    if (!this.data || !this.table) return;
    const tokens = this.table.tokens[this.flavour];
    this.panel.querySelector("[data-code-heading]").textContent = this.data.heading;
    const lines = this.data.lines;
    this.lines.querySelector("code").replaceChildren(...lines.map((row) => line(row, tokens[row.id])));
    this.lines.hidden = lines.length === 0;
    this.reveal();
  }

  renderSetup() {
    if (!this.table) return;
    const tokens = this.table.tokens[this.flavour];
    const rows = this.table.setup.map((id) => line({ id, depth: 0, note: "", current: false }, tokens[id]));
    this.panel.querySelector("[data-code-setup] code").replaceChildren(...rows);
  }

  // Scroll the box (never the page) so the current lines are in view.
  reveal() {
    const current = [...this.lines.querySelectorAll(".code-line.current")];
    if (!current.length) return;
    const box = this.lines; // positioned: a line's offsetTop is within the box
    const top = current[0].offsetTop;
    const bottom = current.at(-1).offsetTop + current.at(-1).offsetHeight;
    let scroll = box.scrollTop;
    if (bottom > scroll + box.clientHeight) scroll = bottom - box.clientHeight + 8;
    if (top < scroll) scroll = top - 8;
    box.scrollTop = Math.max(0, scroll);
  }
}

// One line of code: indented to its depth in the loops, its tokens as text in spans
// by kind, then the values it gives.
function line(row, tokens) {
  const span = document.createElement("span");
  span.className = "code-line";
  if (row.current) {
    span.classList.add("current");
    span.dataset.current = "true";
  }
  span.append("    ".repeat(row.depth));
  for (const [text, kind] of tokens) {
    if (!kind) {
      span.append(text);
    } else {
      const token = document.createElement("span");
      token.className = `tok-${kind}`;
      token.textContent = text;
      span.append(token);
    }
  }
  if (row.note) {
    // On a phone the note goes under its line, as far in as the code (unrolled.css).
    span.style.setProperty("--indent", `${4 * row.depth}ch`);
    const note = document.createElement("span");
    note.className = "code-note";
    note.textContent = `  ${row.note}`;
    span.append(note);
  }
  // The lines are blocks; the newline is for a reader who copies them.
  span.append(Object.assign(document.createElement("span"), { className: "code-eol", textContent: "\n" }));
  return span;
}
