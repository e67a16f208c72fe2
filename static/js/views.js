// Bokeh figures built on the server: embed them, then update named sources.
import { moving, target, tweenTo } from "./tween.js";

// Sources whose numbers glide to new values (the columns named), not jump: the
// sequence plot's prediction line and error bars move together when the network trains.
const ANIMATED = { seq_error: ["y1"], seq_prediction: ["y"] };

export class FigureSet {
  constructor() {
    this.docs = [];
    this.byName = new Map();
    this.roles = new Map(); // role → { doc, views }, so a figure can be replaced
  }

  // Embed every <script type="application/json" data-figure-json> of a section.
  async embed(section) {
    const scripts = [...section.querySelectorAll("script[data-figure-json]")];
    await Promise.all(
      scripts.map((script) => this.embedOne(section, script.dataset.figureJson, JSON.parse(script.textContent))),
    );
  }

  async embedOne(section, role, item) {
    const target = section.querySelector(`[data-figure="${role}"]`);
    if (!target) return;
    target.dataset.rootId = item.root_id; // which document drew here (each widget its own)
    const views = await window.Bokeh.embed.embed_item(item, target.id);
    const doc = window.Bokeh.documents.find((d) => d.get_model_by_id(item.root_id));
    if (doc) this.docs.push(doc);
    this.roles.set(role, { doc, views });
  }

  // New figures (JSON text by role) for a lab whose shape changed: the old ones go,
  // documents included, so no stale source answers to a name.
  async replace(section, items) {
    for (const [role, text] of Object.entries(items ?? {})) {
      const old = this.roles.get(role);
      if (old) {
        for (const view of old.views ?? []) view.remove?.();
        this.docs = this.docs.filter((d) => d !== old.doc);
        const index = window.Bokeh.documents.indexOf(old.doc);
        if (index >= 0) window.Bokeh.documents.splice(index, 1);
      }
      section.querySelector(`[data-figure="${role}"]`)?.replaceChildren();
      await this.embedOne(section, role, JSON.parse(text));
    }
    this.byName.clear();
  }

  // Whether some numbers are still gliding to their new values (tests wait for this).
  moving() {
    return [...this.byName.values()].some(moving);
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
      if (!source) continue;
      const data = { ...target(source), ...("image" in columns ? withImages(columns) : columns) };
      if (ANIMATED[name]) tweenTo(source, data, ANIMATED[name]);
      else source.data = data;
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
