// The player's two menus: quality (hls.js levels, "Auto (720p)") and playback speed.

export class PlayerMenus {
  /** @param {import("./core.js").CoursePlayer} player */
  constructor(player) {
    this.player = player;
    this.quality = player.$('[data-control="quality"]');
    this.speed = player.$('[data-control="speed"]');
    this.quality.addEventListener("change", () => {
      if (player.hls) player.hls.currentLevel = Number(this.quality.value);
      this.updateQualityLabel();
    });
    this.speed.addEventListener("change", () => {
      player.video.playbackRate = parseFloat(this.speed.value);
    });
    player.video.addEventListener("ratechange", () => {
      this.speed.value = String(player.video.playbackRate);
    });
  }

  /** A new hls.js instance: list its levels once the manifest is in, follow its switches. */
  watchHls(hls) {
    const Hls = window.Hls;
    hls.on(Hls.Events.MANIFEST_PARSED, () => this.buildQualityMenu());
    hls.on(Hls.Events.LEVEL_SWITCHED, () => this.updateQualityLabel());
  }

  buildQualityMenu() {
    const hls = this.player.hls;
    const select = this.quality;
    const levels = hls.levels.map((level, index) => ({ level, index }));
    levels.sort((x, y) => (y.level.height || 0) - (x.level.height || 0));
    select.replaceChildren(new Option("Auto", "-1"));
    for (const { level, index } of levels) {
      const name = level.height ? `${level.height}p` : `${Math.round(level.bitrate / 1000)} kb/s`;
      select.append(new Option(name, String(index)));
    }
    select.value = String(hls.autoLevelEnabled ? -1 : hls.currentLevel);
    this.player.$("[data-quality-wrap]").hidden = levels.length < 2;
    this.updateQualityLabel();
    this.player.settings.applyQuality();
  }

  updateQualityLabel() {
    const hls = this.player.hls;
    if (!hls) return;
    const auto = this.quality.querySelector('option[value="-1"]');
    const level = hls.levels[hls.currentLevel];
    auto.textContent = hls.autoLevelEnabled && level?.height ? `Auto (${level.height}p)` : "Auto";
  }
}
