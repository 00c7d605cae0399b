// The progress beacon: heartbeats that tell POST /api/lessons/<id>/progress what was played.
//
// The contract is the heartbeat API's (its schema lives with it in courses). In short: every
// ~10 s while playing, and on pause, seek, ended and when the page goes away, send the position
// and the media-time ranges played since the last beat that got a 200. The server unions the
// ranges and checks them against the wall time, so only played time may be claimed: a seek or
// a scrub is never a range.

const BEAT_INTERVAL_MS = 10_000;
const SEEK_SETTLE_MS = 1_000; // scrubbing fires a seek per input event: send once it settles
const SPEED_MARGIN = 1.5; // timeupdate is irregular; more than this is a jump, not playing
const MAX_QUEUED = 10; // unanswered beats kept for resending (the server remembers 32 ids)
const DEFERRED_RETRY_MS = 5_000;
const MAX_RANGES = 200; // per beat, as the server takes them (rules.MAX_RANGES_PER_BEAT)

const round3 = (x) => Math.round(x * 1000) / 1000;

// --- the range accumulator (pure: no DOM, no clock of its own) ----------------------------

/** The media-time ranges played, built from (media time, wall time) samples while playing. */
export class PlayedRanges {
  constructor() {
    this.ranges = [];
    this.last = null; // the previous sample {t, wallMs, rate}; null: not measuring
  }

  /** A sample while playing. Extends the ranges if the step looks like playback. */
  sample(t, wallMs, rate = 1) {
    const last = this.last;
    this.last = { t, wallMs, rate };
    if (!last) return;
    const played = t - last.t;
    const elapsed = (wallMs - last.wallMs) / 1000;
    // max of both rates: a speed change between two samples must not look like a jump.
    if (played > 0 && played <= SPEED_MARGIN * Math.max(rate, last.rate) * elapsed) {
      this.add(last.t, t);
    }
    // Anything else (a seek, a loop wrap, a stall) starts a new range at t.
  }

  /** Stop measuring (pause, seeking, ended): the next sample only sets the starting point. */
  stop() {
    this.last = null;
  }

  add(start, end) {
    const tail = this.ranges[this.ranges.length - 1];
    if (tail && Math.abs(tail[1] - start) < 1e-6) tail[1] = end;
    else this.ranges.push([start, end]);
  }

  /** The ranges so far (rounded to ms) and start afresh; measuring goes on. */
  take() {
    const out = this.ranges.map(([s, e]) => [round3(s), round3(e)]).filter(([s, e]) => e > s);
    this.ranges = [];
    return out;
  }
}

/**
 * Beats queued while offline, as one: every range (touching ones joined, overlapping ones kept
 * apart: a replay took its time twice), the newest position and clock, a new id. One beat, so
 * the server weighs it against the whole wall time since it last heard from this player, not
 * each queued beat against the few milliseconds since the previous one.
 */
export function mergeBeats(beats, beatId) {
  const ranges = [];
  for (const [start, end] of beats.flatMap((beat) => beat.ranges)) {
    const tail = ranges[ranges.length - 1];
    if (tail && Math.abs(tail[1] - start) < 1e-6) tail[1] = end;
    else ranges.push([start, end]);
  }
  const newest = beats[beats.length - 1];
  return {
    ...newest,
    ranges,
    playback_rate: Math.max(...beats.map((beat) => beat.playback_rate || 1)),
    beat_id: beatId,
  };
}

// --- requests ---------------------------------------------------------------------------------

/** fetch with the session cookie and the CSRF header; resolves to the Response. */
export function sendJson(url, { method = "POST", body = {}, csrfToken }) {
  return fetch(url, {
    method,
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": csrfToken,
    },
    body: JSON.stringify(body),
  });
}

function tabId() {
  const random = window.crypto?.randomUUID?.() ?? `${Math.random()}`.slice(2);
  return random.replace(/-/g, "").slice(0, 12);
}

// --- the heartbeat ------------------------------------------------------------------------------

export class ProgressBeacon {
  /**
   * @param {HTMLVideoElement} video
   * @param {object} options
   * @param {string} options.url         the lesson's /progress URL
   * @param {string} options.csrfToken
   * @param {() => number} [options.position]  media position (the player's, during a refresh)
   * @param {(answer: object) => void} [options.onAnswer]  each 200 body (watched, completed)
   */
  constructor(video, { url, csrfToken, position = null, onAnswer = () => {} }) {
    this.video = video;
    this.url = url;
    this.csrfToken = csrfToken;
    this.position = position ?? (() => video.currentTime);
    this.onAnswer = onAnswer;
    this.ranges = new PlayedRanges();
    this.queue = []; // beats without a final answer yet, oldest first
    this.beaconed = new WeakSet();
    this.tab = tabId();
    this.count = 0;
    this.lastPosition = null;
    // Opening a lesson (and the player's own seek to the resume point) is not watching:
    // nothing is sent before the first play, so the dashboard's "continue" stays honest.
    this.played = false;
    this.stopped = false;
    this.sending = null;
    this.timer = null;
    this.stats = { sent: 0, ok: 0, refused: 0, deferred: 0, failed: 0, beacons: 0 };
    this.inFlight = null; // the beat being posted: never merged into while on its way
    this.listen();
  }

  listen() {
    this.events = new AbortController();
    const on = (target, type, handler) =>
      target.addEventListener(type, handler, { signal: this.events.signal });
    const video = this.video;
    const now = () => performance.now();
    on(video, "playing", () => {
      this.played = true;
      this.ranges.sample(video.currentTime, now(), video.playbackRate);
      // "playing" comes again after every stall: keep the running timer, or a connection
      // that stalls more often than every 10 s would never get a timed beat out.
      this.timer ??= setInterval(() => this.send(), BEAT_INTERVAL_MS);
    });
    on(video, "timeupdate", () => {
      if (!video.paused && !video.seeking) {
        this.ranges.sample(video.currentTime, now(), video.playbackRate);
      }
    });
    const stopped = () => {
      // The last bit up to the pause or the end still counts.
      this.ranges.sample(video.currentTime, now(), video.playbackRate);
      this.ranges.stop();
      this.stopTimers();
      this.send();
    };
    on(video, "pause", stopped);
    on(video, "ended", stopped);
    on(video, "seeking", () => this.ranges.stop());
    on(video, "emptied", () => this.ranges.stop()); // a new source (signed URLs renewed)
    on(video, "seeked", () => {
      clearTimeout(this.seekTimer);
      this.seekTimer = setTimeout(() => this.send(), SEEK_SETTLE_MS);
    });
    // The page may never come back: sendBeacon survives the unload, fetch may not.
    on(document, "visibilitychange", () => {
      if (document.visibilityState === "hidden") this.sendBeacon();
    });
    on(window, "pagehide", () => this.sendBeacon());
  }

  /** A new beat with what was played since the last one; null when there is nothing new. */
  nextBeat() {
    if (!this.played) return null;
    const ranges = this.ranges.take();
    const position = round3(Math.max(0, this.position() || 0));
    if (!ranges.length && position === this.lastPosition) return null;
    this.lastPosition = position;
    this.count += 1;
    return {
      position_s: position,
      ranges,
      playback_rate: this.video.playbackRate || 1,
      client_ts: Date.now(),
      beat_id: `${this.tab}-${this.count}`,
      csrf_token: this.csrfToken,
    };
  }

  queueBeat() {
    const beat = this.nextBeat();
    if (beat) this.queue.push(beat);
    this.mergeQueued();
    // Only beats too full to merge pile up; past this many, keep the newest.
    this.queue.splice(0, Math.max(0, this.queue.length - MAX_QUEUED));
  }

  /** Merge the unanswered beats that wait (not the one on its way) while they fit in one. */
  mergeQueued() {
    const first = this.inFlight && this.queue[0] === this.inFlight ? 1 : 0;
    const waiting = this.queue.slice(first);
    if (waiting.length < 2) return;
    const merged = mergeBeats(waiting, `${this.tab}-${(this.count += 1)}m`);
    if (merged.ranges.length > MAX_RANGES) return; // a broken client's worth: leave them apart
    this.queue.splice(first, waiting.length, merged);
  }

  /** Send what is new, after resending anything unanswered (same beat_id, same body). */
  send() {
    if (this.stopped) return Promise.resolve();
    this.queueBeat();
    if (this.sending) return this.sending; // that loop picks the new beat up too
    this.sending = (async () => {
      while (this.queue.length && !this.stopped) {
        this.mergeQueued();
        this.inFlight = this.queue[0];
        const settled = await this.post(this.inFlight);
        this.inFlight = null;
        if (!settled) break; // no answer: keep it for the next try
        this.queue.shift();
      }
    })().finally(() => {
      this.inFlight = null;
      this.sending = null;
    });
    return this.sending;
  }

  /** true when the beat is settled (applied or refused), false to keep it for resending. */
  async post(beat) {
    this.stats.sent += 1;
    let response;
    try {
      response = await sendJson(this.url, { body: beat, csrfToken: this.csrfToken });
    } catch {
      this.stats.failed += 1; // offline: keep the ranges
      return false;
    }
    if (response.ok) {
      this.stats.ok += 1;
      const answer = await response.json().catch(() => null);
      // More than the wall time since the last beat allowed (a burst after an outage): the
      // server recorded the first part and hands back the rest for the next beat.
      const deferred = answer?.deferred_ranges ?? [];
      if (deferred.length) {
        this.ranges.ranges.unshift(...deferred);
        this.stats.deferred += 1;
        // Even if the video stays paused: the wall time makes room for them in a few seconds.
        clearTimeout(this.deferTimer);
        this.deferTimer = setTimeout(() => this.send(), DEFERRED_RETRY_MS);
      }
      if (answer) this.onAnswer(answer);
      return true;
    }
    if (response.status === 400) {
      this.stats.refused += 1; // the server will never take these ranges: drop them
      return true;
    }
    if (response.status >= 500 || response.status === 429) {
      this.stats.failed += 1;
      return false;
    }
    // 401/403 (logged out, CSRF, not enrolled), 404: nothing this page can fix.
    this.stop();
    return false;
  }

  /** For pagehide/hidden: no answer comes back, so the beats stay queued. */
  sendBeacon() {
    if (this.stopped || !navigator.sendBeacon) return;
    const video = this.video;
    // Not only while playing: a page being left may pause its video before "pagehide"
    // without a "pause" event reaching us, and a busy page may have had no timeupdate
    // for a while. The sample only extends a range that was being measured (not after a
    // pause or a seek), and only as far as the wall time allows.
    if (!video.seeking) {
      this.ranges.sample(video.currentTime, performance.now(), video.playbackRate);
    }
    this.queueBeat();
    // "hidden" and then "pagehide" both come when the learner leaves: one beacon per beat.
    for (const beat of this.queue.filter((b) => !this.beaconed.has(b))) {
      // text/plain is a "simple" request: no CORS preflight, which a beacon cannot do.
      const blob = new Blob([JSON.stringify(beat)], { type: "text/plain;charset=UTF-8" });
      if (navigator.sendBeacon(this.url, blob)) {
        this.beaconed.add(beat);
        this.stats.beacons += 1;
      }
    }
    // If the page does come back, the next send() resends them by fetch with the same ids:
    // the server answers "duplicate" for those the beacon delivered and applies the rest.
  }

  stopTimers() {
    clearInterval(this.timer);
    this.timer = null;
  }

  stop() {
    this.stopped = true;
    this.queue = [];
    this.stopTimers();
    clearTimeout(this.seekTimer);
    clearTimeout(this.deferTimer);
  }

  /** Stop listening (the preview dialog switches lessons); what is queued is still sent. */
  detach() {
    this.events.abort();
    this.stopTimers();
    clearTimeout(this.seekTimer);
    this.send();
  }
}
