// Teaching pages: sortable gradebook columns, the browser's time zone as a new
// class's default, and students' due dates in their own time zone.

// -- sorting: a header's button sorts by its column; again reverses ----------------
function sortKey(cell) {
  const raw = cell?.dataset.sort ?? "";
  if (raw === "") return null; // empty cells sort last, whichever the direction
  const value = Number(raw);
  return Number.isFinite(value) ? value : raw;
}

function compare(a, b) {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

export function makeSortable(table) {
  const headers = [...table.querySelectorAll("thead tr.columns th")];
  const status = table.closest("section")?.querySelector("[data-sort-status]");
  headers.forEach((th, column) => {
    th.querySelector("button.sort")?.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      const body = table.tBodies[0];
      const rows = [...body.rows];
      rows.sort((r, s) => {
        const a = sortKey(r.cells[column]);
        const b = sortKey(s.cells[column]);
        if (a === null || b === null) return (a === null) - (b === null);
        const order = compare(a, b);
        return ascending ? order : -order;
      });
      body.append(...rows);
      headers.forEach((other) => other.setAttribute("aria-sort", "none"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      if (status) status.textContent = `Sorted by ${th.textContent.trim()}, ${ascending ? "ascending" : "descending"}.`;
    });
  });
}

// -- time zones ------------------------------------------------------------------------
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function preselectZone(select) {
  const zone = browserZone();
  if ([...select.options].some((option) => option.value === zone)) select.value = zone;
}

// "2030-01-15 12:00 EST": the same shape as the server's times, in the viewer's zone.
export function localText(date) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZoneName: "short",
    }).formatToParts(date).map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

function showLocal(time) {
  const date = new Date(time.dateTime);
  if (Number.isNaN(date.getTime())) return;
  time.title = time.textContent.trim(); // the class's own time stays one hover away
  time.textContent = localText(date);
}

document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
document.querySelectorAll("select[data-browser-zone]").forEach(preselectZone);
document.querySelectorAll("time[data-local]").forEach(showLocal);
document.querySelectorAll("[data-local-zone]").forEach((element) => {
  element.textContent = `Due dates are in your time zone (${browserZone()}).`;
});
