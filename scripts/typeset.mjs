// Typeset TeX with KaTeX for the server: reads [{tex, display}, ...] as JSON on
// stdin, writes the HTML of each (null where KaTeX refused it) as JSON on stdout.
//
//   node scripts/typeset.mjs <path to node_modules/katex>
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const katex = createRequire(import.meta.url)(resolve(process.argv[2], "dist", "katex.js"));
const items = JSON.parse(readFileSync(0, "utf8"));
const html = items.map(({ tex, display }) => {
  try {
    return katex.renderToString(tex, { displayMode: display, throwOnError: true, trust: false, strict: "ignore" });
  } catch {
    return null; // left for the browser, which shows the source in red
  }
});
process.stdout.write(JSON.stringify({ html }));
