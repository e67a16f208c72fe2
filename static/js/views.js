// Bokeh figures built on the server: embed them, then update named sources.

export class FigureSet {
  constructor() {
    this.docs = [];
    this.byName = new Map();
  }

  // Embed every <script type="application/json" data-figure-json> of a section.
  async embed(section) {
    for (const script of section.querySelectorAll("script[data-figure-json]")) {
      const role = script.dataset.figureJson;
      const item = JSON.parse(script.textContent);
      const target = section.querySelector(`[data-figure="${role}"]`);
      await window.Bokeh.embed.embed_item(item, target.id);
      const doc = window.Bokeh.documents.find((d) => d.get_model_by_id(item.root_id));
      if (doc) this.docs.push(doc);
    }
  }

  source(name) {
    if (!this.byName.has(name)) {
      for (const doc of this.docs) {
        const model = doc.get_model_by_name(name);
        if (model) {
          this.byName.set(name, model);
          break;
        }
      }
    }
    return this.byName.get(name);
  }

  // New data for each named source the server sent. Columns it did not send are
  // kept (the unrolled view's node positions ship with the figure; only values move).
  apply(sources) {
    for (const [name, columns] of Object.entries(sources ?? {})) {
      const source = this.source(name);
      if (source) source.data = { ...source.data, ...("image" in columns ? withImages(columns) : columns) };
    }
  }
}

// Image glyphs draw 2-D typed arrays; JSON brings rows of numbers (null where a
// value is not finite, drawn as Bokeh's nan colour).
function withImages(columns) {
  const { ndarray } = window.Bokeh.require("core/util/ndarray");
  const image = columns.image.map((rows) =>
    ndarray(Float64Array.from(rows.flat(), (v) => v ?? Number.NaN), { shape: [rows.length, rows[0]?.length ?? 0] }),
  );
  return { ...columns, image };
}
