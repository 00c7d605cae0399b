// Lesson questions: "About the moment I'm at in the video" sends the player's current time
// with the question (and shows it beside the box); "at 1:30" links seek the player there.
import { durationLabel } from "./format.js";

const form = document.querySelector("[data-question-form]");
const video = document.querySelector("#player video");

if (form && video) {
  const shown = form.querySelector("[data-question-time]");
  const field = form.querySelector('input[name="at_s"]');
  const update = () => {
    if (shown) shown.textContent = video.currentTime > 0 ? `(${durationLabel(video.currentTime)})` : "";
  };
  video.addEventListener("timeupdate", update);
  form.addEventListener("submit", () => {
    field.value = video.currentTime > 0 ? video.currentTime.toFixed(2) : "";
  });
}

// The #t= links work without this too (the player seeks on hashchange); scroll back up to it.
for (const link of document.querySelectorAll("[data-seek]")) {
  link.addEventListener("click", () => {
    document.getElementById("player")?.scrollIntoView({ behavior: "smooth", block: "start" });
  });
}
