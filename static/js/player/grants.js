// The video source: signed-URL grants from the playback API, hls.js (or native HLS), and
// getting new grants when the old ones expire, without the learner noticing.
//
// The page carries no media URLs: /api/lessons/<id>/playback answers with signed ones, and is
// asked again when they expire (a learner may pause for hours with hands on a client).
// hls.js is loaded before the player as a classic script (window.Hls).

const EXPIRY_MARGIN_MS = 30_000; // refresh a little before the signature really ends
const HLS_MIME = "application/vnd.apple.mpegurl";

export class GrantSource {
  /** @param {import("./core.js").CoursePlayer} player */
  constructor(player) {
    this.player = player;
    this.video = player.video;
    this.playbackUrl = null;
    this.grant = null;
    this.grantFetchedAt = null;
    this.hls = null;
    this.native = false;
    this.refreshing = null;
    this.refreshTimes = [];
    this.heldTime = null; // shown while a refresh swaps the source under the learner
    this.video.addEventListener("error", () => this.onVideoError());
  }

  /** The first grant for a lesson (null when the learner may not watch: the player says why). */
  async open(playbackUrl) {
    this.playbackUrl = playbackUrl;
    const grant = await this.fetchGrant();
    if (grant) this.grant = grant;
    return grant;
  }

  async fetchGrant() {
    const player = this.player;
    let response;
    try {
      response = await fetch(this.playbackUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
    } catch {
      player.showMessage("The video could not be loaded. Check your connection and try again.");
      return null;
    }
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      this.grantFetchedAt = Date.now();
      return body;
    }
    // 401/403/409 carry a sentence for the learner (and a link where one helps).
    const link = body.login_url || body.enroll_url;
    player.showMessage(body.detail || "The video is not available right now.", link, {
      401: "Log in",
      403: "Enroll",
    }[response.status]);
    player.root.dataset.playerState = body.state || String(response.status);
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
    this.player.showMessage(
      "This browser cannot play the lesson videos. Please try a current browser.",
    );
    return false;
  }

  createHls(startAt) {
    const Hls = window.Hls;
    this.hls = new Hls({ startPosition: startAt, capLevelToPlayerSize: true });
    this.player.hlsCreated(this.hls); // the quality menu listens for levels
    this.hls.on(Hls.Events.ERROR, (_event, data) => this.onHlsError(data));
    this.hls.attachMedia(this.video);
  }

  expired() {
    if (!this.grant || !this.grant.expires_at) return false;
    const expires = Date.parse(this.grant.expires_at);
    // A quarter of the grant's life at most, so that short test/ops TTLs still work.
    const margin = Math.min(EXPIRY_MARGIN_MS, (expires - this.grantFetchedAt) / 4);
    return expires - margin <= Date.now();
  }

  /** Before playing: renew an expired grant first (true when a refresh was started). */
  renewIfExpired() {
    if (!this.expired() || this.refreshing) return false;
    this.refresh();
    return true;
  }

  /** New signed URLs, same position and play state: the learner should not notice. */
  refresh() {
    if (this.refreshing) return this.refreshing;
    const player = this.player;
    const now = Date.now();
    this.refreshTimes = this.refreshTimes.filter((t) => now - t < 60_000);
    if (this.refreshTimes.length >= 4) {
      // Refreshing does not help (e.g. access was withdrawn): say so instead of looping.
      player.recordError({ type: "refresh", details: "too many refreshes" });
      player.showMessage("The video stopped loading. Reload the page to continue.");
      return Promise.resolve();
    }
    this.refreshTimes.push(now);
    const position = this.heldTime ?? this.video.currentTime;
    const wasPlaying = player.wantsPlay;
    this.heldTime = position;
    this.refreshing = (async () => {
      const grant = await this.fetchGrant();
      if (!grant) {
        this.heldTime = null;
        return;
      }
      this.grant = grant;
      player.state.refreshes += 1;
      const resume = () => {
        this.heldTime = null;
        if (Math.abs(this.video.currentTime - position) > 0.5) this.video.currentTime = position;
        if (wasPlaying) player.play();
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
    const player = this.player;
    const code = data.response?.code ?? data.networkDetails?.status;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && code === 403) {
      // Signed URLs expired (a long pause): fetch new ones rather than fail.
      this.refresh();
      return;
    }
    if (!data.fatal) {
      player.state.warnings.push({ type: data.type, details: data.details, code });
      return;
    }
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      player.state.warnings.push({ type: data.type, details: data.details, fatal: true });
      this.hls.recoverMediaError();
      return;
    }
    player.recordError({ type: data.type, details: data.details, code });
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
      player.showMessage("The connection dropped. Trying again…");
      this.refresh().then(() => {
        if (player.state.ready) player.hideMessage();
      });
      return;
    }
    player.showMessage("The video could not be played. Reload the page to try again.");
  }

  onVideoError() {
    if (this.hls) return; // hls.js reports through its own ERROR event
    // Native HLS gives no status code: assume the signature expired once, then give up.
    if (this.grant && this.refreshTimes.length < 2) {
      this.refresh();
    } else {
      this.player.recordError({ type: "media", details: this.video.error?.message || "" });
      this.player.showMessage("The video could not be played. Reload the page to try again.");
    }
  }
}
