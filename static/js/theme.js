// Figures follow the page's light or dark theme (static/css/unrolled.css). Figures are
// transparent; in the dark theme their axes, grid, titles and legends, and every glyph
// colour the server drew in ink (palette.INK), take the page's --ink, --muted and
// --line colours (a white fog over what is not computed yet, the --card under it), and
// the server's colours come back in the light theme: each time the theme changes. A
// figure tagged `card` (a diagram of white boxes with ink inside, base.py `on_card`)
// keeps its colours, on a light card (.bk-card).

const INK = "#1f2933"; // course/figures/palette.py INK
const WHITE = new Set(["#ffffff", "white"]); // a fog over what is not computed yet: the card under it
const CHROME = {
  axis_label_text_color: "ink",
  major_label_text_color: "muted",
  axis_line_color: "muted",
  major_tick_line_color: "muted",
  minor_tick_line_color: "muted",
  grid_line_color: "line",
  label_text_color: "ink", // legends
  text_color: "ink", // titles (a Text glyph's text_color is a spec: see `targets`)
  outline_line_color: "line",
  background_fill_color: "card", // legends (a plot's own is null: transparent)
  border_line_color: "line", // legends
};
const dark = window.matchMedia?.("(prefers-color-scheme: dark)");
const original = new WeakMap(); // model → { property: its value as the server drew it }
const themed = new Set(); // the documents (one a figure) to repaint when the theme changes

function colours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(`--${name}`).trim();
  return { ink: read("ink"), muted: read("muted"), line: read("line"), card: read("card") };
}

// A model's colour properties to theme: [name, the colour to use, its value now].
// Chrome properties hold a colour (or null: not drawn); a glyph's colours are specs,
// {value} or {field}: only a constant in ink is themed (a column's colours are data).
function* targets(model, palette) {
  for (const name of Object.keys(model.properties ?? {})) {
    if (!name.endsWith("_color")) continue;
    const value = model[name];
    if (name in CHROME && (typeof value === "string" || value === null)) yield [name, palette[CHROME[name]], value];
    else if (typeof value === "string" && value.toLowerCase() === INK) yield [name, palette.ink, value];
    else if (value?.value?.toLowerCase?.() === INK) yield [name, { value: palette.ink }, value];
    else if (name === "fill_color" && WHITE.has(value?.value?.toLowerCase?.())) yield [name, { value: palette.card }, value];
  }
}

// Paint the models of a figure's document in the current theme.
export function themeFigure(doc, slot, card = false) {
  slot?.classList.toggle("bk-card", card);
  if (card || !doc) return;
  themed.add(doc);
  paint(doc);
}

function paint(doc) {
  const palette = colours();
  const darkNow = Boolean(dark?.matches);
  for (const model of doc.all_models) {
    const saved = original.get(model) ?? {};
    const changes = {};
    if (darkNow) {
      for (const [name, colour, value] of targets(model, palette)) {
        if (!(name in saved)) saved[name] = value;
        if (saved[name] === null) continue; // hidden (no grid, no outline) stays hidden
        changes[name] = colour;
      }
    } else {
      Object.assign(changes, saved);
    }
    original.set(model, saved);
    if (Object.keys(changes).length) model.setv(changes);
  }
}

dark?.addEventListener("change", () => {
  for (const doc of themed) paint(doc);
});

// Forget a figure taken off the page.
export function unthemeFigure(doc) {
  themed.delete(doc);
}
