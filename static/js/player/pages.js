// Where the player appears: the lesson page (with its chapter list and progress mark) and the
// course page's preview dialog. Each finds its player's root and starts a CoursePlayer.

import { renderLessonMark } from "../progress-beacon.js";
import { CoursePlayer } from "./core.js";
import { initNotes } from "./notes.js";
import { startTimeFromLocation } from "./start-time.js";

function exposeForTests(player) {
  // A tiny hook for the browser tests (and curious developers): read-only use.
  window.coursePlayer = {
    player,
    video: player.video,
    get hls() {
      return player.hls;
    },
    state: player.state,
    get progress() {
      return player.progress;
    },
  };
}

export function initLessonPage() {
  const root = document.querySelector(".lesson-player [data-player][data-playback-url]");
  if (!root) return;
  const player = new CoursePlayer(root, {
    chapterList: document.querySelector("[data-chapter-list]"),
  });
  exposeForTests(player);
  initNotes(player, document.querySelector("[data-notes]"));
  const mark = document.querySelector("[data-lesson-progress]");
  if (mark) {
    root.addEventListener("lessonprogress", (event) => renderLessonMark(mark, event.detail));
  }
  player.load(root.dataset.playbackUrl, {
    startAt: startTimeFromLocation(),
    progressUrl: root.dataset.progressUrl || "",
  });
  window.addEventListener("hashchange", () => {
    const t = startTimeFromLocation();
    if (t != null) player.seek(t);
  });
}

export function initPreviewDialog() {
  const dialog = document.querySelector("[data-preview-dialog]");
  if (!dialog || typeof dialog.showModal !== "function") return; // the links still work
  const root = dialog.querySelector("[data-player]");
  const player = new CoursePlayer(root);
  const title = dialog.querySelector("[data-preview-title]");
  const lessonLink = dialog.querySelector("[data-preview-lesson-link]");
  // An article's clip may stop at its end (data-end): pause there, once.
  let clipEnd = null;
  player.video.addEventListener("timeupdate", () => {
    if (clipEnd != null && player.video.currentTime >= clipEnd) {
      clipEnd = null;
      player.pause();
    }
  });
  for (const trigger of document.querySelectorAll("[data-preview-play]")) {
    trigger.addEventListener("click", (event) => {
      event.preventDefault();
      title.textContent = trigger.dataset.lessonTitle;
      lessonLink.href = trigger.href;
      exposeForTests(player);
      dialog.showModal();
      // data-progress-url only for enrolled learners: anonymous previews send no beats.
      clipEnd = trigger.dataset.end ? parseFloat(trigger.dataset.end) : null;
      player.load(trigger.dataset.playbackUrl, {
        autoplay: true,
        startAt: trigger.dataset.start ? parseFloat(trigger.dataset.start) : null,
        progressUrl: trigger.dataset.progressUrl || "",
      });
    });
  }
  // Pause before closing: the dialog's "close" event comes a task later, and the sound
  // must stop with the click. The listener still covers Escape.
  const close = () => {
    player.pause();
    dialog.close();
  };
  dialog.addEventListener("close", () => player.pause());
  dialog.querySelector("[data-preview-close]").addEventListener("click", close);
  // A click on the backdrop (outside the dialog box) closes it, as people expect.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) close();
  });
}
