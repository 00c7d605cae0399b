// WebVTT reading for the player's side files (chapters, seek-preview thumbnails): cues only.

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
