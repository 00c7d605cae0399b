// The lesson video player: hls.js (or native HLS on Safari/iOS) plus controls for practising
// techniques — chapters, A–B / technique loops with a repeat counter, mirror, frame step.
//
// The page carries no media URLs: the player asks /api/lessons/<id>/playback for signed ones,
// and asks again when they expire (a learner may pause for hours with hands on a client).
// hls.js is loaded before this module as a classic script (window.Hls).
//
// Learners with progress (the page says so with data-progress-url) get heartbeats from
// progress-beacon.js and start where they left off (the playback API's resume_at_s).

import { ProgressBeacon, renderLessonMark } from "./progress-beacon.js";

const FRAME_S = 1 / 30;
const SKIP_S = 5;
const VOLUME_STEP = 0.1;
const EXPIRY_MARGIN_MS = 30_000; // refresh a little before the signature really ends
const LOOP_POLL_MS = 40; // fallback when requestVideoFrameCallback is missing
const HLS_MIME = "application/vnd.apple.mpegurl";

// --- small pure helpers (exported for reuse) ---------------------------------------------

/** "90", "90.5", "1m30s", "1h2m3s", "2:30" → seconds, or null. */
export function parseTime(value) {
  if (value == null) return null;
  const text = String(value).trim().toLowerCase();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return parseFloat(text);
  const units = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (units && (units[1] || units[2] || units[3])) {
    return (+units[1] || 0) * 3600 + (+units[2] || 0) * 60 + (+units[3] || 0);
  }
  const clock = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(text);
  if (clock) return (+clock[1] || 0) * 3600 + +clock[2] * 60 + +clock[3];
  return null;
}

/** The start position a link asked for: #t= wins over ?t= (hash links are client-side). */
export function startTimeFromLocation(location = window.location) {
  const fromHash = parseTime(new URLSearchParams(location.hash.replace(/^#/, "")).get("t"));
  if (fromHash != null) return fromHash;
  return parseTime(new URLSearchParams(location.search).get("t"));
}

export function formatTime(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function vttTime(text) {
  const parts = text.trim().split(":").map(Number);
  return parts.reduce((acc, part) => acc * 60 + part, 0);
}

/** Minimal WebVTT cue parser: [{start, end, text}]. */
export function parseVtt(text) {
  const cues = [];
  for (const block of text.replace(/\r\n?/g, "\n").split(/\n{2,}/)) {
    const lines = block.split("\n").filter(Boolean);
    const timing = lines.findIndex((line) => line.includes("-->"));
    if (timing < 0) continue;
    const [from, rest] = lines[timing].split("-->");
    const to = rest.trim().split(/\s+/)[0];
    cues.push({
      start: vttTime(from),
      end: vttTime(to),
      text: lines.slice(timing + 1).join("\n"),
    });
  }
  return cues;
}

function decodeEntities(text) {
  const el = document.createElement("textarea");
  el.innerHTML = text;
  return el.value;
}

// --- the player ---------------------------------------------------------------------------

export class CoursePlayer {
  constructor(root, { chapterList = null } = {}) {
    this.root = root;
    this.video = root.querySelector("video");
    this.chapterList = chapterList;
    this.hls = null;
    this.grant = null;
    this.playbackUrl = null;
    this.chapters = [];
    this.thumbnails = [];
    this.refreshing = null;
    this.refreshTimes = [];
    this.heldTime = null; // shown while a refresh swaps the source under the learner
    this.lastLoopCheck = null;
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
    this.bindControls();
    this.bindVideo();
    this.bindKeys();
    this.bindChapterList();
  }

  // --- loading --------------------------------------------------------------------------

  async load(playbackUrl, { startAt = null, autoplay = false, progressUrl = "" } = {}) {
    this.playbackUrl = playbackUrl;
    this.trackProgress(""); // a new lesson (the preview dialog): not the old one's beats
    this.state.ready = false;
    this.clearLoop();
    this.showMessage("Loading the video…");
    const grant = await this.fetchGrant();
    if (!grant) return;
    this.grant = grant;
    this.video.poster = grant.poster_url || "";
    this.setTracks(grant.captions || []);
    this.loadThumbnails(grant.thumbnails_url);
    if (!this.chapterList) this.loadChapters(grant.chapters_url);
    // A ?t= / #t= link wins over where the learner left off.
    const start = startAt ?? grant.resume_at_s ?? 0;
    this.showResumed(startAt == null ? grant.resume_at_s : null);
    this.trackProgress(progressUrl);
    if (!this.attach(grant.master_url, start)) return;
    this.controls.hidden = false;
    this.hideMessage();
    this.renderMarks();
    this.updateTime();
    this.state.ready = true;
    this.root.dataset.playerReady = "";
    if (autoplay) this.play();
  }

  async fetchGrant() {
    let response;
    try {
      response = await fetch(this.playbackUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
    } catch {
      this.showMessage("The video could not be loaded. Check your connection and try again.");
      return null;
    }
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      this.grantFetchedAt = Date.now();
      return body;
    }
    // 401/403/409 carry a sentence for the learner (and a link where one helps).
    const link = body.login_url || body.enroll_url;
    this.showMessage(body.detail || "The video is not available right now.", link, {
      401: "Log in",
      403: "Enroll",
    }[response.status]);
    this.root.dataset.playerState = body.state || String(response.status);
    return null;
  }

  /** Point the video at a master playlist; false when this browser cannot play HLS. */
  attach(masterUrl, startAt) {
    const Hls = window.Hls;
    if (Hls && Hls.isSupported()) {
      if (!this.hls) this.createHls(startAt);
      // Read by hls.js when the manifest arrives: set explicitly, or an EVENT playlist
      // (a first upload still transcoding) is treated as live and starts at its end.
      this.hls.config.startPosition = startAt;
      this.hls.loadSource(masterUrl);
      return true;
    }
    if (this.video.canPlayType(HLS_MIME)) {
      this.native = true;
      this.video.src = masterUrl;
      this.video.addEventListener(
        "loadedmetadata",
        () => {
          if (startAt) this.video.currentTime = startAt;
        },
        { once: true },
      );
      return true;
    }
    this.showMessage("This browser cannot play the lesson videos. Please try a current browser.");
    return false;
  }

  createHls(startAt) {
    const Hls = window.Hls;
    this.hls = new Hls({ startPosition: startAt, capLevelToPlayerSize: true });
    this.hls.on(Hls.Events.MANIFEST_PARSED, () => this.buildQualityMenu());
    this.hls.on(Hls.Events.LEVEL_SWITCHED, () => this.updateQualityLabel());
    this.hls.on(Hls.Events.ERROR, (_event, data) => this.onHlsError(data));
    this.hls.attachMedia(this.video);
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
    this.$("[data-resumed-at]").textContent = formatTime(seconds);
  }

  startOver() {
    this.showResumed(null);
    this.root.focus(); // the button just went away: keep the keyboard in the player
    if (this.state.looping) this.clearLoop();
    this.seek(0);
    this.play();
  }

  grantExpired() {
    if (!this.grant || !this.grant.expires_at) return false;
    const expires = Date.parse(this.grant.expires_at);
    // A quarter of the grant's life at most, so that short test/ops TTLs still work.
    const margin = Math.min(EXPIRY_MARGIN_MS, (expires - this.grantFetchedAt) / 4);
    return expires - margin <= Date.now();
  }

  /** New signed URLs, same position and play state: the learner should not notice. */
  refresh() {
    if (this.refreshing) return this.refreshing;
    const now = Date.now();
    this.refreshTimes = this.refreshTimes.filter((t) => now - t < 60_000);
    if (this.refreshTimes.length >= 4) {
      // Refreshing does not help (e.g. access was withdrawn): say so instead of looping.
      this.recordError({ type: "refresh", details: "too many refreshes" });
      this.showMessage("The video stopped loading. Reload the page to continue.");
      return Promise.resolve();
    }
    this.refreshTimes.push(now);
    const position = this.heldTime ?? this.video.currentTime;
    const wasPlaying = this.wantsPlay;
    this.heldTime = position;
    this.refreshing = (async () => {
      const grant = await this.fetchGrant();
      if (!grant) {
        this.heldTime = null;
        return;
      }
      this.grant = grant;
      this.state.refreshes += 1;
      const resume = () => {
        this.heldTime = null;
        if (Math.abs(this.video.currentTime - position) > 0.5) this.video.currentTime = position;
        if (wasPlaying) this.play();
      };
      this.video.addEventListener("loadeddata", resume, { once: true });
      this.attach(grant.master_url, position);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  onHlsError(data) {
    const Hls = window.Hls;
    const code = data.response?.code ?? data.networkDetails?.status;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && code === 403) {
      // Signed URLs expired (a long pause): fetch new ones rather than fail.
      this.refresh();
      return;
    }
    if (!data.fatal) {
      this.state.warnings.push({ type: data.type, details: data.details, code });
      return;
    }
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      this.state.warnings.push({ type: data.type, details: data.details, fatal: true });
      this.hls.recoverMediaError();
      return;
    }
    this.recordError({ type: data.type, details: data.details, code });
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
      this.showMessage("The connection dropped. Trying again…");
      this.refresh().then(() => {
        if (this.state.ready) this.hideMessage();
      });
      return;
    }
    this.showMessage("The video could not be played. Reload the page to try again.");
  }

  recordError(error) {
    this.state.errors.push(error);
  }

  // --- extras: captions, thumbnails, chapters --------------------------------------------

  setTracks(captions) {
    for (const track of this.video.querySelectorAll("track")) track.remove();
    const button = this.$('[data-action="captions"]');
    const languageWrap = this.$("[data-captions-language-wrap]");
    const select = this.$('[data-control="captions-language"]');
    select.replaceChildren();
    captions.forEach((caption, index) => {
      const track = document.createElement("track");
      Object.assign(track, {
        kind: "subtitles",
        label: caption.label,
        srclang: caption.language,
        src: caption.url,
      });
      this.video.append(track);
      select.append(new Option(caption.label, String(index)));
    });
    for (const track of this.video.textTracks) track.mode = "hidden";
    button.hidden = captions.length === 0;
    languageWrap.hidden = captions.length < 2;
    const preferred = captions.findIndex((c) => navigator.language.startsWith(c.language));
    select.value = String(Math.max(preferred, 0));
    this.setCaptions(false);
  }

  subtitleTracks() {
    return [...this.video.textTracks].filter((t) => t.kind === "subtitles");
  }

  setCaptions(on) {
    const chosen = Number(this.$('[data-control="captions-language"]').value || 0);
    this.subtitleTracks().forEach((track, index) => {
      track.mode = on && index === chosen ? "showing" : "hidden";
    });
    this.$('[data-action="captions"]').setAttribute("aria-pressed", String(on));
    this.captionsOn = on;
  }

  async loadThumbnails(url) {
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

  async loadChapters(url) {
    this.chapters = [];
    if (!url) return;
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      this.chapters = parseVtt(await response.text()).map((cue) => ({
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

  bindChapterList() {
    if (!this.chapterList) return;
    this.chapters = [...this.chapterList.querySelectorAll("[data-chapter]")].map((element) => ({
      start: parseFloat(element.dataset.start),
      end: parseFloat(element.dataset.end),
      title: element.dataset.title,
      element,
    }));
    for (const chapter of this.chapters) {
      chapter.element.querySelector("[data-chapter-seek]").addEventListener("click", (event) => {
        event.preventDefault();
        // Jumping to another technique ends a loop that does not contain it.
        if (this.state.looping && !this.inLoop(chapter.start)) this.clearLoop();
        this.seek(chapter.start);
        this.play();
      });
      const loopButton = chapter.element.querySelector("[data-chapter-loop]");
      loopButton.addEventListener("click", () => {
        if (loopButton.getAttribute("aria-pressed") === "true") {
          this.clearLoop();
        } else {
          this.setLoop(chapter.start, chapter.end, loopButton);
          this.play();
        }
      });
    }
  }

  renderMarks() {
    const marks = this.$("[data-marks]");
    marks.replaceChildren();
    const duration = this.duration();
    if (!duration) return;
    for (const chapter of this.chapters) {
      const mark = document.createElement("span");
      mark.className = "player__mark";
      mark.style.left = `${(chapter.start / duration) * 100}%`;
      mark.style.width = `${(Math.max(chapter.end - chapter.start, 0) / duration) * 100}%`;
      mark.title = chapter.title;
      marks.append(mark);
      chapter.mark = mark;
    }
    this.updateActiveChapter();
  }

  updateActiveChapter() {
    const t = this.currentTime();
    const active = this.chapters.find((c) => t >= c.start && t < c.end);
    if (active === this.activeChapter) return;
    this.activeChapter = active;
    for (const chapter of this.chapters) {
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

  // --- playback controls -----------------------------------------------------------------

  duration() {
    // The probe's duration is the whole lesson, even while a first upload is still being
    // transcoded and the EVENT playlist only covers part of it.
    const fromGrant = this.grant?.duration_s;
    if (fromGrant) return fromGrant;
    return Number.isFinite(this.video.duration) ? this.video.duration : 0;
  }

  currentTime() {
    return this.heldTime ?? this.video.currentTime;
  }

  get wantsPlay() {
    return this.playRequested ?? !this.video.paused;
  }

  play() {
    this.playRequested = true;
    if (this.grantExpired() && !this.refreshing) {
      this.refresh();
      return;
    }
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
    this.lastLoopCheck = null;
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

  toggleMirror() {
    const on = !this.video.classList.contains("is-mirrored");
    this.video.classList.toggle("is-mirrored", on);
    this.$('[data-action="mirror"]').setAttribute("aria-pressed", String(on));
  }

  toggleFullscreen() {
    if (document.fullscreenElement || document.webkitFullscreenElement) {
      (document.exitFullscreen || document.webkitExitFullscreen).call(document);
    } else if (this.root.requestFullscreen) {
      this.root.requestFullscreen().catch(() => {});
    } else if (this.root.webkitRequestFullscreen) {
      this.root.webkitRequestFullscreen();
    } else if (this.video.webkitEnterFullscreen) {
      this.video.webkitEnterFullscreen(); // iPhone: only the video itself can go full screen
    }
  }

  buildQualityMenu() {
    const select = this.$('[data-control="quality"]');
    const levels = this.hls.levels.map((level, index) => ({ level, index }));
    levels.sort((x, y) => (y.level.height || 0) - (x.level.height || 0));
    select.replaceChildren(new Option("Auto", "-1"));
    for (const { level, index } of levels) {
      const name = level.height ? `${level.height}p` : `${Math.round(level.bitrate / 1000)} kb/s`;
      select.append(new Option(name, String(index)));
    }
    select.value = String(this.hls.autoLevelEnabled ? -1 : this.hls.currentLevel);
    this.$("[data-quality-wrap]").hidden = levels.length < 2;
    this.updateQualityLabel();
  }

  updateQualityLabel() {
    if (!this.hls) return;
    const auto = this.$('[data-control="quality"] option[value="-1"]');
    const level = this.hls.levels[this.hls.currentLevel];
    auto.textContent =
      this.hls.autoLevelEnabled && level?.height ? `Auto (${level.height}p)` : "Auto";
  }

  // --- practice loop -----------------------------------------------------------------------

  inLoop(t) {
    const { a, b } = this.state.loop;
    return a != null && b != null && t >= a && t < b;
  }

  setLoop(a, b, pressedButton = null) {
    this.state.loop = { a, b };
    this.state.looping = true;
    this.state.loopCount = 0;
    this.loopButton = pressedButton;
    if (!this.inLoop(this.video.currentTime)) this.seek(a);
    this.updateLoopUi();
    this.watchLoop();
  }

  clearLoop() {
    this.state.loop = { a: null, b: null };
    this.state.looping = false;
    this.state.loopCount = 0;
    this.loopButton = null;
    this.updateLoopUi();
  }

  setA() {
    const t = this.video.currentTime;
    const { b } = this.state.loop;
    this.state.looping = false;
    this.loopButton = null;
    this.state.loop = { a: t, b: b != null && b > t + 0.2 ? b : null };
    this.updateLoopUi();
  }

  setB() {
    const t = this.video.currentTime;
    const { a } = this.state.loop;
    if (a == null || t <= a + 0.2) {
      this.flashLoopHint("Set B after A: play on past point A first.");
      return;
    }
    this.state.looping = false;
    this.loopButton = null;
    this.state.loop = { a, b: t };
    this.updateLoopUi();
  }

  toggleLoopAB() {
    const { a, b } = this.state.loop;
    if (this.state.looping && !this.loopButton) {
      this.state.looping = false;
      this.updateLoopUi();
      return;
    }
    if (a == null || b == null) {
      this.flashLoopHint("Set A and B first.");
      return;
    }
    this.setLoop(a, b);
    this.play();
  }

  flashLoopHint(text) {
    const range = this.$("[data-loop-range]");
    if (!range) return;
    range.textContent = text;
    clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => this.updateLoopUi(), 2500);
  }

  updateLoopUi() {
    const { a, b } = this.state.loop;
    const range = this.$("[data-loop-range]");
    if (range) {
      if (a == null) range.textContent = "No loop";
      else if (b == null) range.textContent = `A ${formatTime(a)}`;
      else range.textContent = `${formatTime(a)}–${formatTime(b)}${this.state.looping ? " looping" : ""}`;
    }
    const count = this.$("[data-loop-count]");
    if (count) count.textContent = String(this.state.loopCount);
    const ab = this.$('[data-action="loop-ab"]');
    if (ab) ab.setAttribute("aria-pressed", String(this.state.looping && !this.loopButton));
    for (const button of this.chapterList?.querySelectorAll("[data-chapter-loop]") || []) {
      const on = this.state.looping && button === this.loopButton;
      button.setAttribute("aria-pressed", String(on));
      button.closest("[data-chapter]")?.classList.toggle("is-looping", on);
    }
    this.root.classList.toggle("is-looping", this.state.looping);
  }

  /** Wrap from B back to A; counts a repeat only when playback ran into B by itself. */
  checkLoop() {
    if (!this.state.looping || this.heldTime != null) return;
    const { a, b } = this.state.loop;
    const t = this.video.currentTime;
    const last = this.lastLoopCheck;
    this.lastLoopCheck = t;
    // A frame early: at 30 fps the last frame before B is shown for 33 ms.
    if (t < b - 0.02 && !this.video.ended) return;
    const ranIntoB = last != null && last >= a - 0.1 && last < b && t - last < 1.5;
    this.lastLoopCheck = a;
    this.video.currentTime = a;
    if (ranIntoB || this.video.ended) {
      this.state.loopCount += 1;
      this.updateLoopUi();
    }
    if (this.video.ended || this.wantsPlay) this.play();
  }

  watchLoop() {
    // timeupdate fires only every ~250 ms: poll once per frame so the wrap is tight.
    if (this.loopWatching) return;
    this.loopWatching = true;
    const video = this.video;
    const stillNeeded = () => this.state.looping && !video.paused;
    if (video.requestVideoFrameCallback) {
      const tick = () => {
        this.checkLoop();
        if (stillNeeded()) video.requestVideoFrameCallback(tick);
        else this.loopWatching = false;
      };
      video.requestVideoFrameCallback(tick);
    } else {
      const timer = setInterval(() => {
        this.checkLoop();
        if (!stillNeeded()) {
          clearInterval(timer);
          this.loopWatching = false;
        }
      }, LOOP_POLL_MS);
    }
  }

  // --- UI wiring ---------------------------------------------------------------------------

  showMessage(text, linkUrl = null, linkText = null) {
    const box = this.$("[data-message]");
    const span = this.$("[data-message-text]");
    span.textContent = text;
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
    seekBar.setAttribute("aria-valuetext", `${formatTime(t)} of ${formatTime(duration)}`);
    seekBar.style.setProperty("--progress", duration ? `${(t / duration) * 100}%` : "0%");
    this.$("[data-current]").textContent = formatTime(t);
    this.$("[data-duration]").textContent = formatTime(duration);
    this.updateActiveChapter();
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

  showPreview(fraction) {
    const preview = this.$("[data-preview]");
    const duration = this.duration();
    if (!duration) return;
    const t = Math.min(Math.max(fraction, 0), 1) * duration;
    const cue = this.thumbnails.find((c) => t >= c.start && t < c.end);
    const image = this.$("[data-preview-image]");
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
    const chapter = this.chapters.find((c) => t >= c.start && t < c.end);
    this.$("[data-preview-label]").textContent =
      formatTime(t) + (chapter ? ` · ${chapter.title}` : "");
    preview.hidden = false; // before measuring it
    const area = this.$("[data-seek-area]").getBoundingClientRect();
    const half = preview.offsetWidth / 2;
    const left = Math.min(Math.max(fraction * area.width, half), Math.max(area.width - half, half));
    preview.style.left = `${left}px`;
  }

  bindControls() {
    const actions = {
      play: () => this.togglePlay(),
      mute: () => this.toggleMute(),
      captions: () => this.setCaptions(!this.captionsOn),
      mirror: () => this.toggleMirror(),
      fullscreen: () => this.toggleFullscreen(),
      "set-a": () => this.setA(),
      "set-b": () => this.setB(),
      "loop-ab": () => this.toggleLoopAB(),
      "loop-clear": () => this.clearLoop(),
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
      this.showPreview(parseFloat(seekBar.value) / (this.duration() || 1));
    });
    seekBar.addEventListener("change", () => {
      this.scrubbing = false;
      this.$("[data-preview]").hidden = true;
    });
    const area = this.$("[data-seek-area]");
    area.addEventListener("pointermove", (event) => {
      const box = area.getBoundingClientRect();
      this.showPreview((event.clientX - box.left) / box.width);
    });
    area.addEventListener("pointerleave", () => {
      if (!this.scrubbing) this.$("[data-preview]").hidden = true;
    });

    this.$('[data-control="volume"]').addEventListener("input", (event) => {
      this.setVolume(parseFloat(event.target.value));
    });
    this.$('[data-control="speed"]').addEventListener("change", (event) => {
      this.video.playbackRate = parseFloat(event.target.value);
    });
    this.$('[data-control="quality"]').addEventListener("change", (event) => {
      if (this.hls) this.hls.currentLevel = Number(event.target.value);
      this.updateQualityLabel();
    });
    this.$('[data-control="captions-language"]').addEventListener("change", () => {
      this.setCaptions(true);
    });
    const onFullscreen = () => {
      const on = (document.fullscreenElement || document.webkitFullscreenElement) === this.root;
      this.$('[data-action="fullscreen"]').setAttribute("aria-pressed", String(on));
      this.root.classList.toggle("is-fullscreen", on);
    };
    document.addEventListener("fullscreenchange", onFullscreen);
    document.addEventListener("webkitfullscreenchange", onFullscreen);
  }

  bindVideo() {
    const video = this.video;
    video.addEventListener("timeupdate", () => {
      this.checkLoop();
      this.updateTime();
    });
    video.addEventListener("durationchange", () => {
      this.renderMarks();
      this.updateTime();
    });
    video.addEventListener("seeked", () => this.updateTime());
    video.addEventListener("play", () => {
      if (this.grantExpired() && !this.refreshing) this.refresh();
      if (this.state.looping) this.watchLoop();
      this.updatePlayButton();
    });
    video.addEventListener("playing", () => this.updatePlayButton());
    video.addEventListener("pause", () => {
      if (this.heldTime == null) this.playRequested = false;
      this.updatePlayButton();
    });
    video.addEventListener("ended", () => {
      if (this.state.looping) this.checkLoop();
      this.updatePlayButton();
    });
    video.addEventListener("volumechange", () => this.updateVolume());
    video.addEventListener("ratechange", () => {
      this.$('[data-control="speed"]').value = String(video.playbackRate);
    });
    video.addEventListener("error", () => {
      if (this.hls) return; // hls.js reports through its own ERROR event
      // Native HLS gives no status code: assume the signature expired once, then give up.
      if (this.grant && this.refreshTimes.length < 2) {
        this.refresh();
      } else {
        this.recordError({ type: "media", details: video.error?.message || "" });
        this.showMessage("The video could not be played. Reload the page to try again.");
      }
    });
  }

  bindKeys() {
    const handler = (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      const dialog = this.root.closest("dialog");
      if (dialog && !dialog.open) return;
      const target = event.target;
      const inPlayer = this.root.contains(target);
      // Only when the learner is "in" the player, or nowhere in particular.
      if (!inPlayer && target !== document.body && target !== document.documentElement) return;
      if (target.closest?.("select, textarea, input:not([type=range])")) return;
      const onButton = target.closest?.("button, a");
      const keys = {
        " ": () => this.togglePlay(),
        k: () => this.togglePlay(),
        ArrowLeft: () => this.seek(this.video.currentTime - SKIP_S),
        ArrowRight: () => this.seek(this.video.currentTime + SKIP_S),
        ArrowUp: () => this.setVolume(this.video.volume + VOLUME_STEP),
        ArrowDown: () => this.setVolume(this.video.volume - VOLUME_STEP),
        f: () => this.toggleFullscreen(),
        m: () => this.toggleMute(),
        c: () => this.subtitleTracks().length && this.setCaptions(!this.captionsOn),
        ",": () => this.stepFrame(-1),
        ".": () => this.stepFrame(1),
      };
      const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
      if (key === " " && onButton) return; // the button's own activation
      const action = keys[key];
      if (!action || !this.state.ready) return;
      // Also stops a focused seek/volume slider from moving by its own step.
      event.preventDefault();
      action();
    };
    document.addEventListener("keydown", handler);
  }
}

// --- page set-up ----------------------------------------------------------------------------

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

function initLessonPage() {
  const root = document.querySelector(".lesson-player [data-player][data-playback-url]");
  if (!root) return;
  const player = new CoursePlayer(root, {
    chapterList: document.querySelector("[data-chapter-list]"),
  });
  exposeForTests(player);
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

function initPreviewDialog() {
  const dialog = document.querySelector("[data-preview-dialog]");
  if (!dialog || typeof dialog.showModal !== "function") return; // the links still work
  const root = dialog.querySelector("[data-player]");
  const player = new CoursePlayer(root);
  const title = dialog.querySelector("[data-preview-title]");
  const lessonLink = dialog.querySelector("[data-preview-lesson-link]");
  for (const trigger of document.querySelectorAll("[data-preview-play]")) {
    trigger.addEventListener("click", (event) => {
      event.preventDefault();
      title.textContent = trigger.dataset.lessonTitle;
      lessonLink.href = trigger.href;
      exposeForTests(player);
      dialog.showModal();
      // data-progress-url only for enrolled learners: anonymous previews send no beats.
      player.load(trigger.dataset.playbackUrl, {
        autoplay: true,
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

initLessonPage();
initPreviewDialog();
