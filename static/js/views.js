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

  // Replace the data of each named source the server sent.
  apply(sources) {
    for (const [name, columns] of Object.entries(sources ?? {})) {
      const source = this.source(name);
      if (source) source.data = columns;
    }
  }
}
