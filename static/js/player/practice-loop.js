// The practice loop: A–B points or a technique's span, played round and round, with a
// counter of the repeats that really ran into B.
//
// The loop's state lives in player.state (loop {a, b}, looping, loopCount): the browser
// tests read it there through window.coursePlayer.

import { durationLabel } from "../format.js";

const LOOP_POLL_MS = 40; // fallback when requestVideoFrameCallback is missing
const HINT_MS = 2500;

export class PracticeLoop {
  /** @param {import("./core.js").CoursePlayer} player */
  constructor(player) {
    this.player = player;
    this.video = player.video;
    this.state = player.state;
    this.button = null; // the chapter's loop button for a technique loop; null for A–B
    this.lastCheck = null;
    this.watching = false;
    this.hintTimer = null;
  }

  get active() {
    return this.state.looping;
  }

  contains(t) {
    const { a, b } = this.state.loop;
    return a != null && b != null && t >= a && t < b;
  }

  /** A seek by the learner: the next wrap is not a repeat of its own. */
  forgetLastCheck() {
    this.lastCheck = null;
  }

  set(a, b, pressedButton = null) {
    this.state.loop = { a, b };
    this.state.looping = true;
    this.state.loopCount = 0;
    this.button = pressedButton;
    if (!this.contains(this.video.currentTime)) this.player.seek(a);
    this.updateUi();
    this.watch();
  }

  clear() {
    this.state.loop = { a: null, b: null };
    this.state.looping = false;
    this.state.loopCount = 0;
    this.button = null;
    this.updateUi();
  }

  setA() {
    const t = this.video.currentTime;
    const { b } = this.state.loop;
    this.state.looping = false;
    this.button = null;
    this.state.loop = { a: t, b: b != null && b > t + 0.2 ? b : null };
    this.updateUi();
  }

  setB() {
    const t = this.video.currentTime;
    const { a } = this.state.loop;
    if (a == null || t <= a + 0.2) {
      this.flashHint("Set B after A: play on past point A first.");
      return;
    }
    this.state.looping = false;
    this.button = null;
    this.state.loop = { a, b: t };
    this.updateUi();
  }

  toggleAB() {
    const { a, b } = this.state.loop;
    if (this.state.looping && !this.button) {
      this.state.looping = false;
      this.updateUi();
      return;
    }
    if (a == null || b == null) {
      this.flashHint("Set A and B first.");
      return;
    }
    this.set(a, b);
    this.player.play();
  }

  /** A technique's loop button: loop its span, or stop when it is the one looping. */
  toggleTechnique(start, end, button) {
    if (button.getAttribute("aria-pressed") === "true") {
      this.clear();
    } else {
      this.set(start, end, button);
      this.player.play();
    }
  }

  flashHint(text) {
    const range = this.player.$("[data-loop-range]");
    if (!range) return;
    range.textContent = text;
    clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => this.updateUi(), HINT_MS);
  }

  updateUi() {
    const player = this.player;
    const { a, b } = this.state.loop;
    const range = player.$("[data-loop-range]");
    if (range) {
      if (a == null) range.textContent = "No loop";
      else if (b == null) range.textContent = `A ${durationLabel(a)}`;
      else {
        const looping = this.state.looping ? " looping" : "";
        range.textContent = `${durationLabel(a)}–${durationLabel(b)}${looping}`;
      }
    }
    const count = player.$("[data-loop-count]");
    if (count) count.textContent = String(this.state.loopCount);
    const ab = player.$('[data-action="loop-ab"]');
    if (ab) ab.setAttribute("aria-pressed", String(this.state.looping && !this.button));
    for (const button of player.chapterList?.querySelectorAll("[data-chapter-loop]") || []) {
      const on = this.state.looping && button === this.button;
      button.setAttribute("aria-pressed", String(on));
      button.closest("[data-chapter]")?.classList.toggle("is-looping", on);
    }
    player.root.classList.toggle("is-looping", this.state.looping);
  }

  /** Wrap from B back to A; counts a repeat only when playback ran into B by itself. */
  check() {
    const player = this.player;
    if (!this.state.looping || player.refreshPending) return;
    const { a, b } = this.state.loop;
    const t = this.video.currentTime;
    const last = this.lastCheck;
    this.lastCheck = t;
    // A frame early: at 30 fps the last frame before B is shown for 33 ms.
    if (t < b - 0.02 && !this.video.ended) return;
    const ranIntoB = last != null && last >= a - 0.1 && last < b && t - last < 1.5;
    this.lastCheck = a;
    this.video.currentTime = a;
    if (ranIntoB || this.video.ended) {
      this.state.loopCount += 1;
      this.updateUi();
    }
    if (this.video.ended || player.wantsPlay) player.play();
  }

  watch() {
    // timeupdate fires only every ~250 ms: poll once per frame so the wrap is tight.
    if (this.watching) return;
    this.watching = true;
    const video = this.video;
    const stillNeeded = () => this.state.looping && !video.paused;
    if (video.requestVideoFrameCallback) {
      const tick = () => {
        this.check();
        if (stillNeeded()) video.requestVideoFrameCallback(tick);
        else this.watching = false;
      };
      video.requestVideoFrameCallback(tick);
    } else {
      const timer = setInterval(() => {
        this.check();
        if (!stillNeeded()) {
          clearInterval(timer);
          this.watching = false;
        }
      }, LOOP_POLL_MS);
    }
  }
}
