// Predict, then observe: the guess is stored first; only then does the server send
// what the network will show.
import { post } from "./api.js";

function guessOf(section) {
  if (section.dataset.kind === "choice") {
    const picked = section.querySelector('input[name="guess"]:checked');
    return picked ? { value: picked.value } : { error: "Pick one first." };
  }
  const text = section.querySelector('input[name="guess"]').value.trim().replace(",", ".").replace("−", "-");
  const value = Number(text);
  return text && Number.isFinite(value) ? { value } : { error: "Type a number first, such as 0.5." };
}

export function startPredictions(article) {
  const lesson = article.dataset.lesson;
  for (const section of article.querySelectorAll("section.predict")) {
    const status = section.querySelector('[data-role="status"]');
    section.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const guess = guessOf(section);
      if (guess.error) {
        status.textContent = guess.error;
        return;
      }
      const button = section.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const reply = await post(`/api/lessons/${lesson}/progress`, {
          kind: "predict",
          key: section.dataset.predict,
          value: guess.value,
        });
        for (const input of section.querySelectorAll("input")) input.disabled = true;
        status.textContent = "Your guess is in. Now watch the network.";
        const observe = section.querySelector('[data-role="observe"]');
        observe.innerHTML = `<p class="predict-observe-title">What you should see</p>${reply.observe}`; // sanitised on the server
        observe.hidden = false;
        section.classList.add("is-committed");
        window.renderMathInElement?.(observe, { throwOnError: false });
      } catch (error) {
        button.disabled = false;
        status.textContent = error.message;
      }
    });
  }
}
