// Keyboard shortcuts: space/K play-pause, ←/→ skip 5 s, ↑/↓ volume, F full screen, M mute,
// C captions, comma/full stop one frame back/on while paused, N add a note where notes are
// kept (the player's help text says so).

const SKIP_S = 5;
const VOLUME_STEP = 0.1;

/** Listen on the document; keys count when the learner is "in" the player or nowhere else. */
export function bindKeys(player) {
  const video = player.video;
  const keys = {
    " ": () => player.togglePlay(),
    k: () => player.togglePlay(),
    ArrowLeft: () => player.seek(video.currentTime - SKIP_S),
    ArrowRight: () => player.seek(video.currentTime + SKIP_S),
    ArrowUp: () => player.setVolume(video.volume + VOLUME_STEP),
    ArrowDown: () => player.setVolume(video.volume - VOLUME_STEP),
    f: () => player.picture.toggleFullscreen(),
    m: () => player.toggleMute(),
    c: () => player.captions.available && player.captions.toggle(),
    ",": () => player.stepFrame(-1),
    ".": () => player.stepFrame(1),
    n: () => player.root.dispatchEvent(new CustomEvent("addnote")),
  };
  const handler = (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const dialog = player.root.closest("dialog");
    if (dialog && !dialog.open) return;
    const target = event.target;
    const inPlayer = player.root.contains(target);
    // Only when the learner is "in" the player, or nowhere in particular.
    if (!inPlayer && target !== document.body && target !== document.documentElement) return;
    if (target.closest?.("select, textarea, input:not([type=range])")) return;
    const onButton = target.closest?.("button, a");
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === " " && onButton) return; // the button's own activation
    const action = keys[key];
    if (!action || !player.state.ready) return;
    // Also stops a focused seek/volume slider from moving by its own step.
    event.preventDefault();
    action();
  };
  document.addEventListener("keydown", handler);
}
