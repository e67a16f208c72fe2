// The unrolled view, one unit at a time: hover a unit's node, or choose the unit in the
// menu under the view, and only the edges into and out of it are drawn, in every
// column (the weights are shared across time). Each edge names the nodes it joins
// (`src`, `dst`: "layer:unit", "layer:*" for a whole cell, course/lab/views/unrolled.py).

const EDGES = ["unrolled_edges", "unrolled_recurrent"];
const REACH = 12; // px: how near a node the pointer must be to pick it

export class UnitFilter {
  constructor(section, figures) {
    this.section = section;
    this.figures = figures;
    this.menu = section.querySelector('[data-control="unrolled-unit"]');
    this.slot = section.querySelector('[data-figure="unrolled"]');
    this.chosen = ""; // the menu's unit ("" every unit)
    this.hovered = ""; // the node under the pointer
    this.shown = null;
    if (!this.slot) return;
    this.menu?.addEventListener("change", () => {
      this.chosen = this.menu.value;
      this.apply();
    });
    this.slot.addEventListener("mousemove", (event) => this.hover(event));
    this.slot.addEventListener("mouseleave", () => {
      this.hovered = "";
      this.apply();
    });
  }

  // A lab of `layers` × `hidden` units: the menu offers each of them.
  shape(layers, hidden) {
    if (!this.menu || this.menu.dataset.shape === `${layers}x${hidden}`) return;
    this.menu.dataset.shape = `${layers}x${hidden}`;
    const options = [new Option("every unit", "")];
    for (let layer = 0; layer < layers; layer++) {
      for (let unit = 0; unit < hidden; unit++) options.push(new Option(`layer ${layer + 1}, unit ${unit}`, `${layer}:${unit}`));
    }
    const kept = options.some((o) => o.value === this.chosen) ? this.chosen : "";
    this.menu.replaceChildren(...options);
    this.menu.value = this.chosen = kept;
    this.hovered = "";
    this.shown = null;
    this.apply();
  }

  // The unit node nearest the pointer, if it is within reach.
  hover(event) {
    const found = this.figures.plotView("unrolled");
    const nodes = this.figures.source("unrolled_nodes")?.data;
    if (!found || !nodes) return;
    const { x_scale, y_scale } = found.view.frame;
    const box = this.slot.getBoundingClientRect();
    const px = event.clientX - box.left;
    const py = event.clientY - box.top;
    let key = "";
    let best = REACH * REACH;
    for (let i = 0; i < nodes.kind.length; i++) {
      const layer = /^layer (\d+)/.exec(nodes.kind[i]);
      if (!layer) continue;
      const d = (x_scale.compute(nodes.x[i]) - px) ** 2 + (y_scale.compute(nodes.y[i]) - py) ** 2;
      if (d < best) {
        best = d;
        key = `${Number(layer[1]) - 1}:${nodes.unit[i]}`;
      }
    }
    if (key !== this.hovered) {
      this.hovered = key;
      this.apply();
    }
  }

  // Draw the edges of the hovered unit, else of the chosen one, else all of them.
  apply() {
    const key = this.hovered || this.chosen;
    if (key === this.shown) return;
    this.shown = key;
    const cell = `${key.split(":")[0]}:*`; // an aggregated edge of the unit's cell
    const touches = (k) => k === key || k === cell;
    const keep = key ? (columns, row) => touches(columns.src[row]) || touches(columns.dst[row]) : null;
    for (const name of EDGES) this.figures.filter(name, keep);
    this.section.dataset.unitFilter = key; // for a test, or a style
  }
}
