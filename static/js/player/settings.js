// Remembered player settings: speed, quality (auto or a rung), captions on/off and language,
// mirror view, volume and mute. Applied when a lesson opens; every change is saved without a
// page reload: to the server for a signed-in learner (PATCH /api/me/player-settings, so they
// follow the learner to another device), in this browser only for an anonymous viewer.

import { sendJson } from "./progress-beacon.js";

const STORAGE_KEY = "course-player-settings";
const SAVE_DELAY_MS = 400;
const DEFAULTS = {
  speed: 1,
  quality: "auto",
  captions: false,
  captions_language: "",
  mirror: false,
  volume: 1,
  muted: false,
};

function stored() {
  try {
    return JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "{}");
  } catch {
    return {}; // storage off (private mode) or damaged: defaults
  }
}

export class PlayerSettings {
  /** @param {import("./core.js").CoursePlayer} player */
  constructor(player) {
    this.player = player;
    this.video = player.video;
    this.url = player.root.dataset.settingsUrl || "";
    this.csrfToken = player.root.dataset.csrfToken || "";
    const server = player.root.dataset.playerSettings;
    this.values = { ...DEFAULTS, ...(server ? JSON.parse(server) : stored()) };
    this.pending = {};
    this.applying = false;
    this.listen();
  }

  /** The picture, sound and speed settings: at once, and again for each new source. */
  applyPlayback() {
    this.applying = true;
    const { speed, volume, muted, mirror } = this.values;
    this.video.defaultPlaybackRate = speed; // a new source resets playbackRate to this
    this.video.playbackRate = speed;
    this.video.volume = volume;
    this.video.muted = muted;
    this.player.picture.setMirror(mirror);
    this.applying = false;
  }

  /** After the captions of a lesson are known: the language chosen last, on or off. */
  applyCaptions() {
    const captions = this.player.captions;
    if (!captions.available) return;
    const index = [...captions.select.options].findIndex(
      (option) => option.dataset.language === this.values.captions_language,
    );
    this.applying = true;
    if (index >= 0) captions.select.value = String(index);
    captions.show(this.values.captions);
    this.applying = false;
  }

  /** After hls.js lists the rungs: the quality chosen last, if this lesson has that rung. */
  applyQuality() {
    const hls = this.player.hls;
    const wanted = this.values.quality;
    if (!hls || wanted === "auto") return;
    const index = hls.levels.findIndex((level) => String(level.height) === wanted);
    if (index < 0) return; // this video has no such rung: stay on auto, keep the preference
    this.applying = true;
    hls.currentLevel = index;
    this.player.menus.quality.value = String(index);
    this.player.menus.updateQualityLabel();
    this.applying = false;
  }

  listen() {
    const video = this.video;
    video.addEventListener("ratechange", () => {
      // A new source (renewed signed URLs) starts at defaultPlaybackRate: keep it current.
      if (!this.applying) video.defaultPlaybackRate = video.playbackRate;
      this.change({ speed: video.playbackRate });
    });
    video.addEventListener("volumechange", () =>
      this.change({ volume: Math.round(video.volume * 1000) / 1000, muted: video.muted }),
    );
    this.player.menus.quality.addEventListener("change", () => {
      const hls = this.player.hls;
      const level = hls?.levels[Number(this.player.menus.quality.value)];
      this.change({ quality: level?.height ? String(level.height) : "auto" });
    });
    this.player.root.addEventListener("captionschange", (event) => this.change(event.detail));
    this.player.root.addEventListener("mirrorchange", (event) =>
      this.change({ mirror: event.detail.mirror }),
    );
  }

  change(values) {
    if (this.applying) return;
    const changed = Object.entries(values).filter(([name, value]) => this.values[name] !== value);
    if (!changed.length) return;
    for (const [name, value] of changed) {
      this.values[name] = value;
      this.pending[name] = value;
    }
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(this.values));
    } catch {
      // storage off: the server keeps them for a signed-in learner
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  async save() {
    if (!this.url || !Object.keys(this.pending).length) return;
    const body = this.pending;
    this.pending = {};
    try {
      const response = await sendJson(this.url, {
        method: "PATCH",
        body,
        csrfToken: this.csrfToken,
      });
      if (!response.ok && response.status >= 500) throw new Error(String(response.status));
    } catch {
      this.pending = { ...body, ...this.pending }; // offline: with the next change
    }
  }
}
