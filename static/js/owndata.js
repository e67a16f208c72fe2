// A learner's own series for a lab: pasted numbers or a CSV file go to the server
// (`data` on /lab), which reads and checks them and answers the lab on that data, or
// refuses naming the line at fault. The file goes as its bytes: the server says if it
// is not text. The "scale into [−1, 1]" box shows what the server does, never a wish.
import { request } from "./connection.js";

const own = (lab, name) => lab.$(`[data-own="${name}"]`);

export function startOwnData(lab) {
  if (!lab.$("[data-own-data]")) return;
  // The server checks every size and says it; the page stops only what the socket could
  // not carry (engine.io would drop the connection instead of answering).
  const carry = Number(own(lab, "file").dataset.socketMax);
  const tooBig = (what, bytes) =>
    `${what} is ${Math.round(bytes / 1024)} KB; the data may be ${Math.round(Number(own(lab, "file").dataset.maxBytes) / 1024)} KB.`;
  own(lab, "use").addEventListener("click", () => {
    const text = own(lab, "text").value;
    const bytes = new Blob([text]).size;
    if (new Blob([JSON.stringify(text)]).size > carry) return refused(lab, tooBig("The data", bytes));
    send(lab, { text, scale: own(lab, "scale").checked });
  });
  own(lab, "file").addEventListener("change", async (event) => {
    const input = event.target;
    const file = input.files?.[0];
    input.value = ""; // choosing the same file again reads it again
    if (!file) return;
    if (file.size > carry) return refused(lab, tooBig(file.name, file.size));
    send(lab, { file: await file.arrayBuffer(), name: file.name, scale: own(lab, "scale").checked });
  });
  own(lab, "scale").addEventListener("change", (event) => {
    // With data in use, the box scales it again (or not); before, it is read with the data.
    if (lab.info?.own) send(lab, { scale: event.target.checked });
  });
  own(lab, "back").addEventListener("click", (event) => lab.configure({ dataset: event.target.dataset.dataset }));
}

async function send(lab, payload) {
  if (lab.driver) return;
  lab.status("Reading your data…");
  try {
    const ack = await request(lab.socket, "data", { lab: lab.id, ...payload });
    if (ack.figures) await lab.figures.replace(lab.section, ack.figures);
    lab.layer = null;
    lab.overviewKey = "";
    lab.show(ack);
    lab.status(ack.message);
  } catch (error) {
    if (lab.info) syncOwnData(lab, lab.info); // the box shows what the lab still reads…
    refused(lab, error.message); // …and why this data was not taken
  }
}

function refused(lab, message) {
  lab.status(`Your data was not loaded: ${message}`, true);
  const note = lab.$('[data-readout="own"]');
  if (note) {
    note.textContent = `Not loaded: ${message}`;
    note.classList.add("alarm");
  }
}

// The box follows the lab as it is: the data it reads and how it scales it.
export function syncOwnData(lab, info) {
  const now = lab.$('[data-readout="data-now"]'); // the title names the lesson's data
  if (now) {
    now.hidden = !info.data_now;
    now.textContent = info.data_now ?? "";
  }
  const box = lab.$("[data-own-data]");
  if (!box) return;
  const data = info.own;
  const note = lab.$('[data-readout="own"]');
  const text = data ? data.note : note.dataset.standing;
  if (note.textContent !== text) note.textContent = text;
  note.classList.remove("alarm");
  if (data) own(lab, "scale").checked = data.scaled;
  own(lab, "back").hidden = !data;
  const option = lab.$("[data-own-option]");
  if (option) {
    option.hidden = option.disabled = !data;
    if (data) option.parentElement.value = "own";
  }
}
