// The picture: mirrored (to copy an instructor's hand placements) and full screen.

export class Picture {
  /** @param {import("./core.js").CoursePlayer} player */
  constructor(player) {
    this.root = player.root;
    this.video = player.video;
    this.mirrorButton = player.$('[data-action="mirror"]');
    this.fullscreenButton = player.$('[data-action="fullscreen"]');
    const onFullscreen = () => {
      const on = (document.fullscreenElement || document.webkitFullscreenElement) === this.root;
      this.fullscreenButton.setAttribute("aria-pressed", String(on));
      this.root.classList.toggle("is-fullscreen", on);
    };
    document.addEventListener("fullscreenchange", onFullscreen);
    document.addEventListener("webkitfullscreenchange", onFullscreen);
  }

  toggleMirror() {
    this.setMirror(!this.video.classList.contains("is-mirrored"));
    const detail = { mirror: this.video.classList.contains("is-mirrored") };
    this.root.dispatchEvent(new CustomEvent("mirrorchange", { detail }));
  }

  setMirror(on) {
    this.video.classList.toggle("is-mirrored", on);
    this.mirrorButton.setAttribute("aria-pressed", String(on));
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
}
