// Seek previews: the thumbnail, time and chapter shown above the seek bar under the pointer
// (or while scrubbing), from the grant's thumbnails WebVTT (sprite sheets with #xywh=).

import { durationLabel } from "../format.js";
import { parseVtt } from "./vtt.js";

export class SeekPreview {
  /** @param {import("./core.js").CoursePlayer} player */
  constructor(player) {
    this.player = player;
    this.thumbnails = [];
    this.box = player.$("[data-preview]");
    this.image = player.$("[data-preview-image]");
    this.label = player.$("[data-preview-label]");
    this.area = player.$("[data-seek-area]");
    this.area.addEventListener("pointermove", (event) => {
      const box = this.area.getBoundingClientRect();
      this.show((event.clientX - box.left) / box.width);
    });
    this.area.addEventListener("pointerleave", () => {
      if (!player.scrubbing) this.hide();
    });
  }

  async load(url) {
    this.thumbnails = [];
    if (!url) return;
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (!response.ok) return;
      const base = new URL(response.url || url, window.location.href);
      this.thumbnails = parseVtt(await response.text()).map((cue) => {
        const [ref, fragment = ""] = cue.text.trim().split("#");
        const xywh = /xywh=(\d+),(\d+),(\d+),(\d+)/.exec(fragment);
        return {
          start: cue.start,
          end: cue.end,
          url: new URL(ref, base).href,
          box: xywh ? xywh.slice(1).map(Number) : null,
        };
      });
    } catch {
      // Seek previews are a nicety; the player works without them.
    }
  }

  /** The preview for `fraction` (0–1) of the way along the seek bar. */
  show(fraction) {
    const duration = this.player.duration();
    if (!duration) return;
    const t = Math.min(Math.max(fraction, 0), 1) * duration;
    const cue = this.thumbnails.find((c) => t >= c.start && t < c.end);
    const image = this.image;
    if (cue?.box) {
      const [x, y, w, h] = cue.box;
      Object.assign(image.style, {
        width: `${w}px`,
        height: `${h}px`,
        backgroundImage: `url("${cue.url}")`,
        backgroundPosition: `-${x}px -${y}px`,
      });
      image.hidden = false;
    } else {
      image.hidden = true;
    }
    const chapter = this.player.chapters.at(t);
    this.label.textContent = durationLabel(t) + (chapter ? ` · ${chapter.title}` : "");
    this.box.hidden = false; // before measuring it
    const area = this.area.getBoundingClientRect();
    const half = this.box.offsetWidth / 2;
    const left = Math.min(Math.max(fraction * area.width, half), Math.max(area.width - half, half));
    this.box.style.left = `${left}px`;
  }

  hide() {
    this.box.hidden = true;
  }
}
