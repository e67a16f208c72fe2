// A figure's numbers as tables (course/figures/tables.py): a "Show as table" toggle
// under the figure, holding one <table> per table the figure's tags declare, built
// from the columns the figure draws. Filled only while open, so closed tables cost
// nothing; a screen reader reaches them as any table, with caption and headers.

// A number as the tables show it: 4 significant digits (enough for the lessons'
// "three decimals"), whole numbers as they are; a missing value as "–" (not computed).
export function formatCell(value) {
  if (value === null || value === undefined || (typeof value === "number" && !Number.isFinite(value))) return "–";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 1e-3 && abs < 1e5 ? String(Number(value.toPrecision(4))) : value.toPrecision(3);
}

// The toggle and its (empty) body, placed under the figure drawn in `slot`: before its
// <figure>'s caption (outside what lies over the figure, such as the overview's
// buttons), else right after the slot; outside Bokeh's box either way, so it takes the
// page's colours. `read(name)` gives a source's columns. Returns { box, refresh, open }.
export function figureTables(slot, { caption, tables }, read) {
  const box = document.createElement("details");
  box.className = "figure-tables";
  const summary = document.createElement("summary");
  summary.textContent = `Show as table: ${caption}`;
  const body = document.createElement("div");
  body.className = "figure-tables-body";
  body.tabIndex = 0; // a wide table scrolls: the keyboard can reach it
  body.setAttribute("role", "region");
  body.setAttribute("aria-label", `${caption}, as tables`);
  box.append(summary, body);
  const under = slot.closest("figure")?.querySelector(":scope > figcaption");
  if (under) under.before(box);
  else slot.after(box);
  const refresh = () => {
    if (!box.open) return;
    body.replaceChildren(...tables.flatMap((spec) => build(spec, read(spec.source))));
  };
  box.addEventListener("toggle", refresh);
  return { box, refresh, get open() { return box.open; } };
}

function build(spec, data) {
  if (!data) return [table(spec.caption, [], [["not drawn yet"]])];
  if (spec.kind === "columns") {
    const n = Math.max(0, ...spec.columns.map(([c]) => data[c]?.length ?? 0));
    const rows = Array.from({ length: n }, (_, i) => spec.columns.map(([c]) => data[c]?.[i]));
    return [table(spec.caption, spec.columns.map(([, h]) => h), rows)];
  }
  if (spec.kind === "all") {
    const names = [spec.index, ...Object.keys(data).filter((c) => c !== spec.index && !c.startsWith("_"))];
    const n = data[spec.index]?.length ?? 0;
    const rows = Array.from({ length: n }, (_, i) => names.map((c) => data[c]?.[i]));
    return [table(spec.caption, names, rows)];
  }
  if (spec.kind === "pivot") return [pivot(spec, data)];
  if (spec.kind === "images") return images(spec, data);
  return [];
}

// Long rows spread out: a row per row key, a column per column key (keys default to
// the labels; a label may repeat, e.g. a letter twice in a sentence, a key not).
function pivot(spec, data) {
  const [col, colHeader] = spec.columns;
  const rows = new Map(); // row key → { label, cells: Map(column key → value) }
  const columns = new Map(); // column key → its label
  const n = data[spec.value]?.length ?? 0;
  for (let i = 0; i < n; i++) {
    const label = spec.rows.map(([c]) => data[c]?.[i]).join(" ");
    const rowKey = spec.row_key ? data[spec.row_key]?.[i] : label;
    const colKey = data[spec.column_key ?? col]?.[i];
    if (!rows.has(rowKey)) rows.set(rowKey, { label, cells: new Map() });
    if (!columns.has(colKey)) columns.set(colKey, data[col]?.[i]);
    rows.get(rowKey).cells.set(colKey, data[spec.value][i]);
  }
  const headers = [spec.rows.map(([, h]) => h).join(", "), ...[...columns.values()].map((c) => `${colHeader} ${c}`)];
  const body = [...rows.values()].map(({ label, cells }) => [label, ...[...columns.keys()].map((k) => cells.get(k))]);
  return table(spec.caption, headers, body);
}

// Image glyphs: 2-D arrays (BokehJS ndarrays with a shape, or rows of numbers).
function images(spec, data) {
  return (data.image ?? []).map((image, k) => {
    const rows = asRows(image);
    const width = rows[0]?.length ?? 0;
    const headers = [spec.rows, ...Array.from({ length: width }, (_, j) => `${spec.columns} ${j + spec.first}`)];
    const body = rows.map((row, r) => [`${spec.rows} ${r}`, ...row]);
    return table(`${spec.caption}: ${data[spec.label]?.[k] ?? k}`, headers, body);
  });
}

function asRows(image) {
  if (Array.isArray(image)) return image.map((row) => Array.from(row));
  const [height, width] = image.shape ?? [0, 0];
  return Array.from({ length: height }, (_, r) => Array.from(image.slice(r * width, (r + 1) * width)));
}

// A table with a caption, a header row, and a header cell at the start of each row.
function table(caption, headers, rows) {
  const el = document.createElement("table");
  el.className = "figure-table";
  el.createCaption().textContent = caption;
  if (headers.length) {
    const head = el.createTHead().insertRow();
    for (const h of headers) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      head.append(th);
    }
  }
  const body = el.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((value, i) => {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      cell.textContent = formatCell(value);
      tr.append(cell);
    });
  }
  return el;
}
