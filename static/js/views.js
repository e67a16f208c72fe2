// Bokeh figures built on the server: embed them, then update named sources.
import { yielded } from "./schedule.js";
import { figureTables } from "./tables.js";
import { themeFigure, unthemeFigure } from "./theme.js";
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
    this.repeats = new Map(); // source name → its {first, last, shift} (see `repeated`)
    this.layouts = new Map(); // "name@key" → a layout's columns (see `apply`)
    this.tables = new Map(); // role → its "Show as table" toggle (tables.js)
    this.tablesDue = false; // a refresh of the open tables is waiting for a frame
    this.filters = new Map(); // source name → keep(columns, row): the rows drawn (see `filter`)
  }

  // Embed the <script type="application/json" data-figure-json> figures of a section
  // that show when the section is on screen: displayed, and starting within a window's
  // height of its top. The others wait for `finish` (a view shown at another level of
  // detail, a figure far down a long lab), so the first view is ready soonest.
  async embed(section) {
    const scripts = [...section.querySelectorAll("script[data-figure-json]")];
    const items = scripts.map((script) => [script.dataset.figureJson, JSON.parse(script.textContent)]);
    const top = section.getBoundingClientRect().top;
    this.waiting = await this.place(section, items, (slot) => {
      const box = section.querySelector(`[data-figure="${slot}"]`)?.getBoundingClientRect();
      return !box || box.height === 0 || box.top - top > window.innerHeight;
    });
  }

  // Embed the figures `embed` left waiting (once; the same promise after).
  finish(section) {
    this.finishing ??= (async () => {
      while (this.waiting?.length) {
        await this.embedOne(section, ...this.waiting.shift());
        await yielded();
      }
    })();
    return this.finishing;
  }

  // Embed each [role, item] in its slot, unless its root is tagged with a media query
  // that does not hold (a narrow and a wide variant of one view): that one is kept and
  // swapped in when the window crosses the width, so only one is ever built. One at a
  // time, letting the browser run what waits between them (the socket's handshake, a
  // click), so building the figures does not hold the lab's open request back. Those
  // whose slot `waits` are not embedded: their [role, item, slot, media] are returned.
  async place(section, items, waits = () => false) {
    const waiting = [];
    for (const [role, item] of items) {
      const { media, slot } = placement(item, role);
      if (media) this.watch(section, media);
      if (media && !window.matchMedia(media).matches) {
        this.spare.set(role, { slot, item, media });
        continue;
      }
      this.spare.delete(role);
      if (waits(slot)) {
        waiting.push([role, item, slot, media]);
        continue;
      }
      await this.embedOne(section, role, item, slot, media);
      await yielded();
    }
    return waiting;
  }

  // Embed one figure; one embedded after the lab has changed shows the latest numbers.
  async embedOne(section, role, item, slot = role, media = null) {
    const target = section.querySelector(`[data-figure="${slot}"]`);
    if (!target) return;
    target.dataset.rootId = item.root_id; // which document drew here (each widget its own)
    // A figure that may be swapped out keeps its JSON, untouched by Bokeh, to come back.
    const json = media ? structuredClone(item) : item;
    const { key, tables, card } = rootTags(item);
    this.expandRepeats(json);
    const views = await window.Bokeh.embed.embed_item(json, target.id);
    if (key) target.append(keyList(key));
    if (tables) {
      this.tables.get(role)?.box.remove();
      this.tables.set(role, figureTables(target, tables, (name) => this.columns(name)));
    }
    const doc = window.Bokeh.documents.find((d) => d.get_model_by_id(item.root_id));
    if (doc) this.docs.push(doc);
    themeFigure(doc, target, Boolean(card)); // the page's light or dark theme
    this.roles.set(role, { doc, views, slot, item: media ? item : null, media });
    for (const [name, columns] of this.latest) {
      const model = doc?.get_model_by_name(name);
      if (isTicker(model)) model.ticks = columns.ticks;
      else if (model) model.data = { ...model.data, ...this.drawable(name, columns) };
    }
  }

  // Take a role's figure off the page, its document included, so no stale source
  // answers to a name.
  remove(section, role) {
    const old = this.roles.get(role);
    if (!old) return;
    for (const view of old.views ?? []) view.remove?.();
    this.docs = this.docs.filter((d) => d !== old.doc);
    unthemeFigure(old.doc);
    const index = window.Bokeh.documents.indexOf(old.doc);
    if (index >= 0) window.Bokeh.documents.splice(index, 1);
    section.querySelector(`[data-figure="${old.slot}"]`)?.replaceChildren();
    this.roles.delete(role);
    this.tables.get(role)?.box.remove();
    this.tables.delete(role);
    this.byName.clear();
  }

  // New figures (JSON text by role) for a lab whose shape changed.
  // Those whose slot `waits` are left for `finish`, as `embed` leaves them.
  async replace(section, items, waits = () => false) {
    const parsed = Object.entries(items ?? {}).map(([role, text]) => [role, JSON.parse(text)]);
    const roles = new Set(parsed.map(([role]) => role));
    this.waiting = this.waiting?.filter(([role]) => !roles.has(role));
    for (const [role, item] of parsed) {
      this.remove(section, role);
      this.spare.delete(role);
      // The new figures come with their own numbers: none of the old shape's are kept.
      for (const source of objects(item.doc.roots, "ColumnDataSource")) this.latest.delete(source.attributes.name);
    }
    const waiting = await this.place(section, parsed, waits);
    if (waiting.length) {
      this.waiting = [...(this.waiting ?? []), ...waiting];
      this.finishing = null; // a later `finish` embeds these too
    }
    this.byName.clear();
  }

  // When a media query starts or stops holding, swap the variants it decides.
  watch(section, media) {
    if (this.watched.has(media)) return;
    this.watched.add(media);
    window.matchMedia(media).addEventListener("change", () => this.swap(section));
  }

  // One swap at a time: the wide and the narrow query change together, and a swap
  // that began while another was still embedding would find no figure shown yet and
  // embed a second one beside it.
  swap(section) {
    const run = () => this.swapNow(section); // after the last, even if that one failed
    this.swapping = (this.swapping ?? Promise.resolve()).then(run, run);
    return this.swapping;
  }

  async swapNow(section) {
    for (const [role, spare] of [...this.spare]) {
      if (!window.matchMedia(spare.media).matches) continue;
      this.spare.delete(role);
      const waits = this.waiting?.findIndex(([, , slot]) => slot === spare.slot) ?? -1;
      if (waits >= 0) { // the other variant was not embedded yet: this one waits instead
        const [oldRole, item, slot, media] = this.waiting[waits];
        this.waiting[waits] = [role, spare.item, spare.slot, spare.media];
        this.spare.set(oldRole, { slot, item, media });
        continue;
      }
      const shown = [...this.roles].find(([, placed]) => placed.slot === spare.slot);
      if (shown) {
        const [oldRole, { slot, item, media }] = shown;
        this.remove(section, oldRole);
        this.spare.set(oldRole, { slot, item, media });
      }
      await this.embedOne(section, role, spare.item, spare.slot, spare.media);
    }
  }

  // The plot view drawn in `slot` (whichever variant of it is on screen) and its role.
  plotView(slot) {
    for (const [role, placed] of this.roles) {
      if (placed.slot !== slot || !placed.views) continue;
      const view = [...placed.views][0];
      if (view?.frame) return { view, role };
    }
    return null;
  }

  // Whether the picture is still changing: numbers gliding to their new values, or
  // figures still to be embedded (tests wait for this).
  moving() {
    return Boolean(this.waiting?.length) || [...this.byName.values()].some(moving);
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
  //
  // A source may take its places from a layout sent once: "name@key" holds the
  // layout's columns (kept here, not drawn), and the source's own columns name the
  // layout they sit in (`_layout: [key]`; its columns win over stale ones merged in), so
  // a layout the page has is not sent again.
  apply(sources) {
    const entries = Object.entries(sources ?? {});
    this.keepLayouts(sources);
    for (let [name, columns] of entries) {
      if (name.includes("@")) continue;
      if ("_layout" in columns) {
        const { _layout: [key], ...own } = columns; // [key], or [] for no layout
        columns = key === undefined ? own : { ...own, ...this.layouts.get(`${name}@${key}`) };
      }
      this.latest.set(name, { ...this.latest.get(name), ...columns });
      const source = this.source(name);
      if (!source) continue;
      if (isTicker(source)) {
        source.ticks = columns.ticks;
        continue;
      }
      const data = { ...target(source), ...this.drawable(name, columns) };
      if (ANIMATED[name]) tweenTo(source, data, ANIMATED[name]);
      else source.data = data;
    }
    this.refreshTables();
  }

  // The columns a source draws (where a glide is heading), for its tables.
  columns(name) {
    const source = this.source(name);
    return source ? target(source) : undefined;
  }

  // Refill the open tables once the frame's sources are applied (at most once a frame).
  refreshTables() {
    if (this.tablesDue || ![...this.tables.values()].some((t) => t.open)) return;
    this.tablesDue = true;
    requestAnimationFrame(() => {
      this.tablesDue = false;
      for (const tables of this.tables.values()) tables.refresh();
    });
  }

  // Keep the layouts ("name@key") among `sources`, for the sources that name them.
  keepLayouts(sources) {
    for (const [name, columns] of Object.entries(sources ?? {})) {
      if (name.includes("@")) this.layouts.set(name, columns);
    }
  }

  // Draw only the rows of source `name` that `keep(columns, row)` accepts (null: every
  // row), now and as new data comes: the unrolled view's one-unit filter (unrolled.js).
  filter(name, keep) {
    if (keep) this.filters.set(name, keep);
    else this.filters.delete(name);
    const source = this.source(name);
    const columns = this.latest.get(name);
    if (source && columns) source.data = { ...source.data, ...this.drawable(name, columns) };
  }

  // Columns as the source draws them: filtered rows only, image rows as arrays,
  // repeated rows repeated.
  drawable(name, columns) {
    const keep = this.filters.get(name);
    const kept = keep ? rowsOf(columns, keep) : columns;
    const spec = this.repeats.get(name);
    const drawn = spec ? repeated(kept, spec) : kept;
    return "image" in drawn ? withImages(drawn) : drawn;
  }

  // Note the sources of a figure's JSON tagged `repeat`, and repeat the rows they hold.
  expandRepeats(item) {
    for (const source of objects(item.doc.roots, "ColumnDataSource")) {
      const spec = tags(source.attributes).repeat;
      if (!spec) continue;
      this.repeats.set(source.attributes.name, spec);
      const data = source.attributes.data;
      // The one copy of its rows, for `filter` to draw from until new ones come.
      if (!this.latest.has(source.attributes.name)) this.latest.set(source.attributes.name, Object.fromEntries(data.entries));
      data.entries = Object.entries(repeated(Object.fromEntries(data.entries), spec));
    }
  }
}

// The rows of `columns` that `keep(columns, row)` accepts.
function rowsOf(columns, keep) {
  const n = Object.values(columns)[0]?.length ?? 0;
  const rows = [];
  for (let i = 0; i < n; i++) if (keep(columns, i)) rows.push(i);
  return Object.fromEntries(Object.entries(columns).map(([k, values]) => [k, rows.map((i) => values[i])]));
}

// A log axis's ticker, whose ticks the server chose for the data it sent
// (course/lab/views/logaxis.py): named like a source, it takes a `ticks` column.
function isTicker(model) {
  return model?.constructor?.__name__ === "FixedTicker";
}

// A source tagged {repeat: {first, last, shift}} carries one copy of its rows (the
// unrolled view's edges of one time step): they are drawn at every offset k = first …
// last, k added to the `shift` columns (x), so the wire carries 1/T of the rows.
function repeated(columns, { first, last, shift }) {
  const out = {};
  for (const [name, values] of Object.entries(columns)) {
    const moved = shift.includes(name);
    const rows = [];
    for (let k = first; k <= last; k++) {
      for (const v of values) rows.push(moved && v !== null ? v + k : v);
    }
    out[name] = rows;
  }
  return out;
}

// Every object of type `name` in a figure's JSON (BokehJS's serialized form).
function objects(node, name, found = []) {
  if (node.type === "object" && node.name === name) found.push(node);
  for (const child of Array.isArray(node) ? node : Object.values(node)) {
    if (child !== null && typeof child === "object") objects(child, name, found);
  }
  return found;
}

// The tags of a model's JSON attributes, merged into one plain object.
function tags(attributes) {
  const plain = (value) => {
    if (Array.isArray(value)) return value.map(plain);
    return value?.type === "map" ? Object.fromEntries(value.entries.map(([k, v]) => [k, plain(v)])) : value;
  };
  const found = (attributes?.tags ?? []).map(plain).filter((tag) => tag && typeof tag === "object");
  return Object.assign({}, ...found);
}

// The tags of a figure's root: a slot, a media query, a key.
function rootTags(item) {
  return tags(item.doc.roots?.find((r) => r.id === item.root_id)?.attributes);
}

// Where a figure goes: its root's tags may name a slot and a media query.
function placement(item, role) {
  const { media, slot } = rootTags(item);
  return { media: media ?? null, slot: slot ?? role };
}

// A figure's key, written under it as a list (course/figures/base.py, add_key).
function keyList(items) {
  const list = document.createElement("ul");
  list.className = "figure-key";
  list.setAttribute("aria-label", "Key");
  for (const { label, mark, color } of items) {
    const swatch = document.createElement("span");
    swatch.className = `key-mark key-${mark}`;
    swatch.style.setProperty("--mark", color);
    swatch.setAttribute("aria-hidden", "true");
    const entry = document.createElement("li");
    entry.append(swatch, label);
    list.append(entry);
  }
  return list;
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
