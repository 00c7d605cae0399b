// The studio's chapter editor: the lesson's video in the course player; "Starts here" /
// "Ends here" (or [ and ]) set the chosen technique's times to the player's current time,
// the nudge buttons move them by a frame or a second, the timeline shows every technique as
// a range, and "Save times" sends them all at once (POST, all or none; errors inline).

import { durationLabel } from "./format.js";
import { CoursePlayer } from "./player/core.js";
import { sendJson } from "./player/progress-beacon.js";

const config = JSON.parse(document.getElementById("editor-config").textContent);
const editor = document.querySelector("[data-chapter-editor]");
const root = editor.querySelector("[data-player]");
const form = editor.querySelector("[data-chapter-form]");
const timeline = editor.querySelector("[data-timeline]");
const status = editor.querySelector("[data-save-status]");
const player = new CoursePlayer(root);
window.studioPlayer = player; // read-only hook for the browser tests

const rows = new Map(
  [...editor.querySelectorAll("[data-technique-row]")].map((row) => [row.dataset.techniqueId, row]),
);
const round3 = (x) => Math.round(x * 1000) / 1000;
const input = (row, field) => row.querySelector(`[data-field="${field}"]`);
const current = () => rows.get(form.elements.current.value);

function value(row, field) {
  const text = input(row, field).value;
  return text === "" ? null : Number(text);
}

function setTime(row, field, seconds) {
  const duration = player.duration() || Infinity;
  input(row, field).value = String(round3(Math.min(Math.max(0, seconds), duration)));
  row.querySelector("[data-error]").textContent = "";
  drawTimeline();
}

function drawTimeline() {
  const duration = player.duration();
  timeline.replaceChildren();
  if (!duration) return;
  for (const technique of config.techniques) {
    const row = rows.get(String(technique.id));
    const start = value(row, "start_s");
    const end = value(row, "end_s");
    if (start == null || end == null || end <= start) continue;
    const bar = document.createElement("span");
    bar.className = "chapter-editor__range";
    bar.style.left = `${(100 * start) / duration}%`;
    bar.style.width = `${(100 * (end - start)) / duration}%`;
    bar.title = `Technique ${technique.number}: ${durationLabel(start)}–${durationLabel(end)}`;
    bar.textContent = String(technique.number);
    timeline.append(bar);
  }
}

const mark = (field) => {
  const row = current();
  if (row) setTime(row, field, player.currentTime());
};

if (form) {
  form.querySelectorAll("[data-mark]").forEach((button) =>
    button.addEventListener("click", () => mark(button.dataset.mark)),
  );
  form.addEventListener("click", (event) => {
    const nudge = event.target.closest("[data-nudge]");
    if (!nudge) return;
    const row = nudge.closest("[data-technique-row]");
    const field = nudge.dataset.nudge;
    const base = value(row, field) ?? player.currentTime();
    setTime(row, field, base + Number(nudge.dataset.by));
    player.seek(value(row, field));
  });
  form.addEventListener("input", drawTimeline);
  document.addEventListener("keydown", (event) => {
    if (event.target.closest?.("input, select, textarea") || event.ctrlKey || event.metaKey) return;
    if (event.key === "[" || event.key === "]") {
      event.preventDefault();
      mark(event.key === "[" ? "start_s" : "end_s");
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "Saving…";
    const techniques = [...rows.entries()].map(([id, row]) => ({
      id: Number(id),
      start_s: value(row, "start_s"),
      end_s: value(row, "end_s"),
    }));
    for (const row of rows.values()) row.querySelector("[data-error]").textContent = "";
    try {
      const response = await sendJson(config.saveUrl, {
        body: { techniques },
        csrfToken: document.querySelector("[name=csrfmiddlewaretoken]")?.value || root.dataset.csrfToken,
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        for (const [id, message] of Object.entries(body.errors || {})) {
          const row = rows.get(id);
          if (row) row.querySelector("[data-error]").textContent = message;
        }
        status.textContent = body.detail || `Not saved (the server answered ${response.status}).`;
        return;
      }
      status.textContent = "Saved. Learners see the new chapters when they next open the lesson.";
    } catch {
      status.textContent = "No connection: nothing was saved. Try again.";
    }
  });
}

player.video.addEventListener("loadedmetadata", drawTimeline);
player.load(root.dataset.playbackUrl);
