// Captions: the grant's subtitle tracks on the video, the CC toggle and the language menu.

export class Captions {
  /** @param {import("./core.js").CoursePlayer} player */
  constructor(player) {
    this.player = player;
    this.video = player.video;
    this.on = false;
    this.button = player.$('[data-action="captions"]');
    this.languageWrap = player.$("[data-captions-language-wrap]");
    this.select = player.$('[data-control="captions-language"]');
    this.select.addEventListener("change", () => {
      this.show(true);
      this.announce();
    });
  }

  /** The grant's captions: [{label, language, url}]. */
  setTracks(captions) {
    for (const track of this.video.querySelectorAll("track")) track.remove();
    this.select.replaceChildren();
    captions.forEach((caption, index) => {
      const track = document.createElement("track");
      Object.assign(track, {
        kind: "subtitles",
        label: caption.label,
        srclang: caption.language,
        src: caption.url,
      });
      this.video.append(track);
      const option = new Option(caption.label, String(index));
      option.dataset.language = caption.language;
      this.select.append(option);
    });
    for (const track of this.video.textTracks) track.mode = "hidden";
    this.button.hidden = captions.length === 0;
    this.languageWrap.hidden = captions.length < 2;
    const preferred = captions.findIndex((c) => navigator.language.startsWith(c.language));
    this.select.value = String(Math.max(preferred, 0));
    this.show(false);
  }

  subtitleTracks() {
    return [...this.video.textTracks].filter((t) => t.kind === "subtitles");
  }

  get available() {
    return this.subtitleTracks().length > 0;
  }

  show(on) {
    const chosen = Number(this.select.value || 0);
    this.subtitleTracks().forEach((track, index) => {
      track.mode = on && index === chosen ? "showing" : "hidden";
    });
    this.button.setAttribute("aria-pressed", String(on));
    this.on = on;
  }

  toggle() {
    this.show(!this.on);
    this.announce();
  }

  /** A change the learner made (not one applied from their settings): settings.js saves it. */
  announce() {
    const option = this.select.selectedOptions[0];
    const detail = { captions: this.on, captions_language: option?.dataset.language || "" };
    this.player.root.dispatchEvent(new CustomEvent("captionschange", { detail }));
  }
}
