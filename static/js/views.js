// Bokeh figures built on the server: embed them, then update named sources.
import { moving, target, tweenTo } from "./tween.js";

// Sources whose numbers glide to new values (the columns named), not jump: the
// sequence plot's prediction line, error bars and current-step circle move together
// when the network trains, and the circle glides to the next step.
const ANIMATED = { seq_error: ["y1"], seq_prediction: ["y"], seq_cursor: ["x", "y"] };

export class FigureSet {
  constructor() {
    this.docs = [];
    this.byName = new Map();
    this.roles = new Map(); // role → { doc, views, slot, item, media }, so a figure can be replaced
    this.spare = new Map(); // role → { slot, item, media }: figures for another window width
    this.latest = new Map(); // source name → the columns last applied, for a figure swapped in
    this.watched = new Set(); // media queries listened to
  }

  // Embed every <script type="application/json" data-figure-json> of a section.
  async embed(section) {
    const scripts = [...section.querySelectorAll("script[data-figure-json]")];
    await this.place(
      section,
      scripts.map((script) => [script.dataset.figureJson, JSON.parse(script.textContent)]),
    );
  }

  // Embed each [role, item] in its slot, unless its root is tagged with a media query
  // that does not hold (a narrow and a wide variant of one view): that one is kept and
  // swapped in when the window crosses the width, so only one is ever built.
  async place(section, items) {
    await Promise.all(
      items.map(([role, item]) => {
        const { media, slot } = placement(item, role);
        if (media) this.watch(section, media);
        if (media && !window.matchMedia(media).matches) {
          this.spare.set(role, { slot, item, media });
          return null;
        }
        this.spare.delete(role);
        return this.embedOne(section, role, item, slot, media);
      }),
    );
  }

  async embedOne(section, role, item, slot = role, media = null) {
    const target = section.querySelector(`[data-figure="${slot}"]`);
    if (!target) return;
    target.dataset.rootId = item.root_id; // which document drew here (each widget its own)
    // A figure that may be swapped out keeps its JSON, untouched by Bokeh, to come back.
    const views = await window.Bokeh.embed.embed_item(media ? structuredClone(item) : item, target.id);
    const doc = window.Bokeh.documents.find((d) => d.get_model_by_id(item.root_id));
    if (doc) this.docs.push(doc);
    this.roles.set(role, { doc, views, slot, item: media ? item : null, media });
  }

  // Take a role's figure off the page, its document included, so no stale source
  // answers to a name.
  remove(section, role) {
    const old = this.roles.get(role);
    if (!old) return;
    for (const view of old.views ?? []) view.remove?.();
    this.docs = this.docs.filter((d) => d !== old.doc);
    const index = window.Bokeh.documents.indexOf(old.doc);
    if (index >= 0) window.Bokeh.documents.splice(index, 1);
    section.querySelector(`[data-figure="${old.slot}"]`)?.replaceChildren();
    this.roles.delete(role);
    this.byName.clear();
  }

  // New figures (JSON text by role) for a lab whose shape changed.
  async replace(section, items) {
    const parsed = Object.entries(items ?? {}).map(([role, text]) => [role, JSON.parse(text)]);
    for (const [role] of parsed) {
      this.remove(section, role);
      this.spare.delete(role);
    }
    await this.place(section, parsed);
    this.byName.clear();
  }

  // When a media query starts or stops holding, swap the variants it decides.
  watch(section, media) {
    if (this.watched.has(media)) return;
    this.watched.add(media);
    window.matchMedia(media).addEventListener("change", () => this.swap(section));
  }

  async swap(section) {
    for (const [role, spare] of [...this.spare]) {
      if (!window.matchMedia(spare.media).matches) continue;
      const shown = [...this.roles].find(([, placed]) => placed.slot === spare.slot);
      if (shown) {
        const [oldRole, { slot, item, media }] = shown;
        this.remove(section, oldRole);
        this.spare.set(oldRole, { slot, item, media });
      }
      this.spare.delete(role);
      await this.embedOne(section, role, spare.item, spare.slot, spare.media);
      const { doc } = this.roles.get(role) ?? {};
      for (const [name, columns] of this.latest) {
        const model = doc?.get_model_by_name(name);
        if (model) model.data = { ...model.data, ...("image" in columns ? withImages(columns) : columns) };
      }
    }
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
      this.latest.set(name, { ...this.latest.get(name), ...columns });
      const source = this.source(name);
      if (!source) continue;
      const data = { ...target(source), ...("image" in columns ? withImages(columns) : columns) };
      if (ANIMATED[name]) tweenTo(source, data, ANIMATED[name]);
      else source.data = data;
    }
  }
}

// Where a figure goes: its root's tags may name a slot and a media query.
function placement(item, role) {
  const root = item.doc.roots?.find((r) => r.id === item.root_id);
  const tags = (root?.attributes?.tags ?? []).map((tag) =>
    tag?.type === "map" ? Object.fromEntries(tag.entries) : tag,
  );
  const found = Object.assign({}, ...tags.filter((tag) => tag && typeof tag === "object"));
  return { media: found.media ?? null, slot: found.slot ?? role };
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
