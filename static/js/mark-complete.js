// A lesson without a video: the "Mark as complete" button.
import { initMarkComplete } from "./progress-beacon.js";

initMarkComplete(
  document.querySelector("[data-mark-complete]"),
  document.querySelector("[data-lesson-progress]"),
);
