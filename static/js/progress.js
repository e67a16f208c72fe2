// Sections read: a section counts once its heading has stayed on screen for a moment.
import { post } from "./api.js";

const DWELL_MS = 1500;

export function trackSections(article) {
  const lesson = article.dataset.lesson;
  const headings = [...article.querySelectorAll("h2[id]")].filter((h) => !h.closest(".objectives, .quiz, .lab, .lesson-end"));
  if (!headings.length || !("IntersectionObserver" in window)) return;
  const sent = new Set(article.dataset.seen ? article.dataset.seen.split(" ") : []);
  const timers = new Map();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const id = entry.target.id;
      if (sent.has(id)) continue;
      if (entry.isIntersecting) {
        timers.set(id, setTimeout(() => record(id), DWELL_MS));
      } else {
        clearTimeout(timers.get(id));
        timers.delete(id);
      }
    }
  });
  async function record(id) {
    sent.add(id);
    observer.unobserve(document.getElementById(id));
    try {
      await post(`/api/lessons/${lesson}/progress`, { kind: "section", key: id });
      document.getElementById(id)?.classList.add("seen");
    } catch {
      sent.delete(id); // try again when it next comes into view
      observer.observe(document.getElementById(id));
    }
  }
  for (const heading of headings) if (!sent.has(heading.id)) observer.observe(heading);
}
