// The lesson video player's core: loading a lesson, play/pause/seek/volume, the time display,
// and wiring the feature modules (one job each) to each other and to the player's DOM.
//
// Features: grants.js (signed URLs, hls.js, renewal), menus.js (quality, speed),
// practice-loop.js (A–B / technique loops), captions.js, chapters.js, seek-preview.js,
// picture.js (mirror, full screen), keyboard.js, progress-beacon.js (heartbeats).

import { durationLabel } from "../format.js";
import { Captions } from "./captions.js";
import { Chapters } from "./chapters.js";
import { GrantSource } from "./grants.js";
import { bindKeys } from "./keyboard.js";
import { PlayerMenus } from "./menus.js";
import { Picture } from "./picture.js";
import { PracticeLoop } from "./practice-loop.js";
import { ProgressBeacon } from "./progress-beacon.js";
import { SeekPreview } from "./seek-preview.js";
import { PlayerSettings } from "./settings.js";

const FRAME_S = 1 / 30;

export class CoursePlayer {
  constructor(root, { chapterList = null } = {}) {
    this.root = root;
    this.video = root.querySelector("video");
    this.chapterList = chapterList;
    this.progress = null;
    this.scrubbing = false;
    this.state = {
      loopCount: 0,
      loop: { a: null, b: null },
      looping: false,
      errors: [],
      warnings: [],
      refreshes: 0,
      ready: false,
    };
    this.$ = (selector) => root.querySelector(selector);
    this.controls = this.$(".player__controls");
    this.source = new GrantSource(this);
    this.menus = new PlayerMenus(this);
    this.loop = new PracticeLoop(this);
    this.captions = new Captions(this);
    this.previews = new SeekPreview(this);
    this.picture = new Picture(this);
    this.chapters = new Chapters(this);
    this.settings = new PlayerSettings(this);
    this.bindControls();
    this.bindVideo();
    bindKeys(this);
  }

  get hls() {
    return this.source.hls;
  }

  get grant() {
    return this.source.grant;
  }

  /** True while new signed URLs are swapped in: the video's own time is not the learner's. */
  get refreshPending() {
    return this.source.heldTime != null;
  }

  /** Called by grants.js for each new hls.js instance. */
  hlsCreated(hls) {
    this.menus.watchHls(hls);
  }

  // --- loading --------------------------------------------------------------------------

  async load(playbackUrl, { startAt = null, autoplay = false, progressUrl = "" } = {}) {
    this.trackProgress(""); // a new lesson (the preview dialog): not the old one's beats
    this.state.ready = false;
    this.loop.clear();
    this.showMessage("Loading the video…");
    const grant = await this.source.open(playbackUrl);
    if (!grant) return;
    this.video.poster = grant.poster_url || "";
    this.captions.setTracks(grant.captions || []);
    this.settings.applyCaptions();
    this.previews.load(grant.thumbnails_url);
    if (!this.chapterList) this.chapters.load(grant.chapters_url);
    // A ?t= / #t= link wins over where the learner left off.
    const start = startAt ?? grant.resume_at_s ?? 0;
    this.showResumed(startAt == null ? grant.resume_at_s : null);
    this.trackProgress(progressUrl);
    if (!this.source.attach(grant.master_url, start)) return;
    this.settings.applyPlayback();
    this.controls.hidden = false;
    this.hideMessage();
    this.chapters.renderMarks();
    this.updateTime();
    this.state.ready = true;
    this.root.dataset.playerReady = "";
    if (autoplay) this.play();
  }

  /** Heartbeats to `url` (none without one: anonymous and non-enrolled viewers). */
  trackProgress(url) {
    this.progress?.detach();
    this.progress = null;
    if (!url) return;
    this.progress = new ProgressBeacon(this.video, {
      url,
      csrfToken: this.root.dataset.csrfToken || "",
      position: () => this.currentTime(),
      onAnswer: (detail) => {
        this.root.dispatchEvent(new CustomEvent("lessonprogress", { bubbles: true, detail }));
      },
    });
  }

  /** "Resumed at 3:12 — start over" when the player picked up where the learner left off. */
  showResumed(seconds) {
    const box = this.$("[data-resumed]");
    if (!box) return;
    box.hidden = !(seconds > 0);
    this.$("[data-resumed-at]").textContent = durationLabel(seconds, "0:00");
  }

  startOver() {
    this.showResumed(null);
    this.root.focus(); // the button just went away: keep the keyboard in the player
    if (this.loop.active) this.loop.clear();
    this.seek(0);
    this.play();
  }

  recordError(error) {
    this.state.errors.push(error);
  }

  // --- playback controls -----------------------------------------------------------------

  duration() {
    // The probe's duration is the whole lesson, even while a first upload is still being
    // transcoded and the EVENT playlist only covers part of it.
    const fromGrant = this.grant?.duration_s;
    if (fromGrant) return fromGrant;
    return Number.isFinite(this.video.duration) ? this.video.duration : 0;
  }

  currentTime() {
    return this.source.heldTime ?? this.video.currentTime;
  }

  get wantsPlay() {
    return this.playRequested ?? !this.video.paused;
  }

  play() {
    this.playRequested = true;
    if (this.source.renewIfExpired()) return; // plays once the new grant is in
    const promise = this.video.play();
    promise?.catch((error) => {
      // Autoplay refused (no user gesture yet): show the big play button instead.
      if (error.name === "NotAllowedError") this.playRequested = false;
      this.updatePlayButton();
    });
  }

  pause() {
    this.playRequested = false;
    this.video.pause();
  }

  togglePlay() {
    if (this.video.paused || this.video.ended) this.play();
    else this.pause();
  }

  seek(seconds) {
    const duration = this.duration();
    const target = Math.max(0, duration ? Math.min(seconds, duration - 0.05) : seconds);
    this.loop.forgetLastCheck();
    this.video.currentTime = target;
    this.updateTime();
  }

  stepFrame(direction) {
    if (!this.video.paused) return;
    this.seek(this.video.currentTime + direction * FRAME_S);
  }

  setVolume(volume) {
    this.video.volume = Math.min(1, Math.max(0, volume));
    if (this.video.volume > 0) this.video.muted = false;
  }

  toggleMute() {
    this.video.muted = !this.video.muted;
  }

  // --- what the player shows -------------------------------------------------------------

  showMessage(text, linkUrl = null, linkText = null) {
    const box = this.$("[data-message]");
    this.$("[data-message-text]").textContent = text;
    box.querySelector("a")?.remove();
    if (linkUrl && linkText) {
      const link = document.createElement("a");
      link.href = linkUrl;
      link.textContent = linkText;
      link.className = "button button--small";
      box.append(" ", link);
    }
    box.hidden = false;
  }

  hideMessage() {
    this.$("[data-message]").hidden = true;
  }

  updateTime() {
    const t = this.currentTime();
    const duration = this.duration();
    const seekBar = this.$('[data-control="seek"]');
    if (!this.scrubbing) {
      seekBar.max = String(duration || 0);
      seekBar.value = String(Math.min(t, duration || t));
    }
    const [now, total] = [durationLabel(t, "0:00"), durationLabel(duration, "0:00")];
    seekBar.setAttribute("aria-valuetext", `${now} of ${total}`);
    seekBar.style.setProperty("--progress", duration ? `${(t / duration) * 100}%` : "0%");
    this.$("[data-current]").textContent = now;
    this.$("[data-duration]").textContent = total;
    this.chapters.updateActive();
  }

  updatePlayButton() {
    const playing = !this.video.paused && !this.video.ended;
    const button = this.$('.player__controls [data-action="play"]');
    button.setAttribute("aria-label", playing ? "Pause" : "Play");
    button.querySelector(".player__icon").textContent = playing ? "❚❚" : "▶";
    this.$(".player__big-play").hidden = playing || !this.state.ready;
    this.root.classList.toggle("is-playing", playing);
  }

  updateVolume() {
    const muted = this.video.muted || this.video.volume === 0;
    const button = this.$('[data-action="mute"]');
    button.setAttribute("aria-pressed", String(muted));
    button.textContent = muted ? "Unmute" : "Mute";
    this.$('[data-control="volume"]').value = String(this.video.muted ? 0 : this.video.volume);
  }

  // --- wiring ----------------------------------------------------------------------------

  bindControls() {
    const actions = {
      play: () => this.togglePlay(),
      mute: () => this.toggleMute(),
      captions: () => this.captions.toggle(),
      mirror: () => this.picture.toggleMirror(),
      fullscreen: () => this.picture.toggleFullscreen(),
      "set-a": () => this.loop.setA(),
      "set-b": () => this.loop.setB(),
      "loop-ab": () => this.loop.toggleAB(),
      "loop-clear": () => this.loop.clear(),
      "start-over": () => this.startOver(),
    };
    this.root.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action]");
      if (button && this.root.contains(button)) actions[button.dataset.action]?.();
    });
    this.video.addEventListener("click", () => this.togglePlay());

    const seekBar = this.$('[data-control="seek"]');
    seekBar.addEventListener("input", () => {
      this.scrubbing = true;
      this.seek(parseFloat(seekBar.value));
      this.previews.show(parseFloat(seekBar.value) / (this.duration() || 1));
    });
    seekBar.addEventListener("change", () => {
      this.scrubbing = false;
      this.previews.hide();
    });
    this.$('[data-control="volume"]').addEventListener("input", (event) => {
      this.setVolume(parseFloat(event.target.value));
    });
  }

  bindVideo() {
    const video = this.video;
    video.addEventListener("timeupdate", () => {
      this.loop.check();
      this.updateTime();
    });
    video.addEventListener("durationchange", () => {
      this.chapters.renderMarks();
      this.updateTime();
    });
    video.addEventListener("seeked", () => this.updateTime());
    video.addEventListener("play", () => {
      this.source.renewIfExpired();
      if (this.loop.active) this.loop.watch();
      this.updatePlayButton();
    });
    video.addEventListener("playing", () => this.updatePlayButton());
    video.addEventListener("pause", () => {
      if (!this.refreshPending) this.playRequested = false;
      this.updatePlayButton();
    });
    video.addEventListener("ended", () => {
      if (this.loop.active) this.loop.check();
      this.updatePlayButton();
    });
    video.addEventListener("volumechange", () => this.updateVolume());
  }
}
