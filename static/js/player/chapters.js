// Chapters: the lesson's techniques as marks on the seek bar and, on the lesson page, the
// chapter list beside the video (jump to a technique, loop it, show which one is playing).
//
// The lesson page renders the list ([data-chapter-list]); the preview dialog has none and
// reads the grant's chapters WebVTT instead.

import { parseVtt } from "./vtt.js";

function decodeEntities(text) {
  const el = document.createElement("textarea");
  el.innerHTML = text;
  return el.value;
}

export class Chapters {
  /** @param {import("./core.js").CoursePlayer} player */
  constructor(player) {
    this.player = player;
    this.list = player.chapterList;
    this.items = []; // [{start, end, title, element, mark}]
    this.active = undefined;
    this.bindList();
  }

  /** The chapter playing at t, if any. */
  at(t) {
    return this.items.find((c) => t >= c.start && t < c.end);
  }

  async load(url) {
    this.items = [];
    if (!url) return;
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      this.items = parseVtt(await response.text()).map((cue) => ({
        start: cue.start,
        end: cue.end,
        title: decodeEntities(cue.text),
        element: null,
      }));
    } catch {
      return;
    }
    this.renderMarks();
  }

  bindList() {
    if (!this.list) return;
    const player = this.player;
    this.items = [...this.list.querySelectorAll("[data-chapter]")].map((element) => ({
      start: parseFloat(element.dataset.start),
      end: parseFloat(element.dataset.end),
      title: element.dataset.title,
      element,
    }));
    for (const chapter of this.items) {
      chapter.element.querySelector("[data-chapter-seek]").addEventListener("click", (event) => {
        event.preventDefault();
        // Jumping to another technique ends a loop that does not contain it.
        if (player.loop.active && !player.loop.contains(chapter.start)) player.loop.clear();
        player.seek(chapter.start);
        player.play();
      });
      const loopButton = chapter.element.querySelector("[data-chapter-loop]");
      loopButton.addEventListener("click", () => {
        player.loop.toggleTechnique(chapter.start, chapter.end, loopButton);
      });
    }
  }

  renderMarks() {
    const marks = this.player.$("[data-marks]");
    marks.replaceChildren();
    const duration = this.player.duration();
    if (!duration) return;
    for (const chapter of this.items) {
      const mark = document.createElement("span");
      mark.className = "player__mark";
      mark.style.left = `${(chapter.start / duration) * 100}%`;
      mark.style.width = `${(Math.max(chapter.end - chapter.start, 0) / duration) * 100}%`;
      mark.title = chapter.title;
      marks.append(mark);
      chapter.mark = mark;
    }
    this.updateActive();
  }

  updateActive() {
    const active = this.at(this.player.currentTime());
    if (active === this.active) return;
    this.active = active;
    for (const chapter of this.items) {
      const on = chapter === active;
      chapter.mark?.classList.toggle("is-active", on);
      if (chapter.element) {
        chapter.element.classList.toggle("is-active", on);
        const link = chapter.element.querySelector("[data-chapter-seek]");
        if (on) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
      }
    }
  }
}
