// Lesson progress on the page: the ✓ / "42 % watched" mark, "Mark as complete" on lessons
// without video, and the technique index's "Log practice" forms.
//
// The heartbeats themselves are player/progress-beacon.js; they are re-exported here, where
// templates and older imports have always found them.

import { sendJson } from "./player/progress-beacon.js";

export { PlayedRanges, ProgressBeacon, sendJson } from "./player/progress-beacon.js";

// --- page helpers: the lesson mark, "Mark as complete", "Log practice" -----------------------

/** The ✓ / "42 % watched" mark, as templates/courses/_progress_mark.html renders it. */
export function renderLessonMark(element, { completed, watched_percent: percent }) {
  const whole = Math.floor(percent || 0);
  const mark = document.createElement("span");
  const sign = document.createElement("span");
  sign.setAttribute("aria-hidden", "true");
  if (completed) {
    mark.className = "progress-mark progress-mark--done";
    sign.className = "progress-mark__check";
    sign.textContent = "✓";
    mark.append(sign, " Completed");
  } else if (percent > 0) {
    mark.className = "progress-mark";
    mark.style.setProperty("--watched", `${whole}%`);
    sign.className = "progress-mark__bar";
    mark.append(sign, whole ? ` ${whole} % watched` : " Started");
  } else {
    element.replaceChildren();
    return;
  }
  element.replaceChildren(mark);
}

// fetch itself throws a TypeError when there is no connection; ours carry the API's sentence.
const problem = (failure) =>
  failure instanceof TypeError ? "No connection: please try again." : failure.message;

async function answerDetail(response, fallback) {
  const body = await response.json().catch(() => ({}));
  return body.detail || fallback;
}

/** The "Mark as complete" toggle of a lesson without video (POST marks, DELETE undoes). */
export function initMarkComplete(section, markElement = null) {
  if (!section) return;
  const button = section.querySelector("[data-mark-complete-button]");
  const text = section.querySelector("[data-mark-complete-text]");
  const error = section.querySelector("[data-mark-complete-error]");
  let completed = section.dataset.completed === "true";
  const show = () => {
    button.textContent = completed ? "Undo: mark as not complete" : "Mark as complete";
    button.classList.toggle("button--quiet", completed);
    text.textContent = completed
      ? "You marked this lesson as complete."
      : "There is no video to watch here: " +
        "mark the lesson as complete once you have worked through it.";
    if (markElement) renderLessonMark(markElement, { completed, watched_percent: null });
  };
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.hidden = true;
    try {
      const response = await sendJson(section.dataset.url, {
        method: completed ? "DELETE" : "POST",
        csrfToken: section.dataset.csrfToken,
      });
      if (!response.ok) throw new Error(await answerDetail(response, "That did not work."));
      completed = (await response.json()).completed;
      show();
    } catch (failure) {
      error.textContent = problem(failure);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}

/** The technique index's "Log practice" forms (the server renders the counts). */
export function initPracticeForms(root) {
  if (!root) return;
  for (const form of root.querySelectorAll("[data-practice-form]")) {
    const count = form.parentElement.querySelector("[data-practice-count]");
    const error = form.querySelector("[data-practice-error]");
    const button = form.querySelector("button");
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      error.hidden = true;
      try {
        const response = await sendJson(form.dataset.url, {
          body: { note: form.elements.note.value },
          csrfToken: root.dataset.csrfToken,
        });
        if (!response.ok) throw new Error(await answerDetail(response, "That did not work."));
        const { practiced_count: n } = await response.json();
        count.textContent = `Practised ${n} time${n === 1 ? "" : "s"}`;
        form.reset();
      } catch (failure) {
        error.textContent = problem(failure);
        error.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  }
}
