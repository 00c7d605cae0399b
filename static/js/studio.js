// The instructor studio: uploads, live processing state, preview toggles.
import { durationLabel, sizeLabel } from "./format.js";
import { api, uploadApi } from "./studio-api.js";
import { MultipartUpload, UploadCancelled, UploadInterrupted } from "./studio-upload.js";

const config = JSON.parse(document.getElementById("studio-config").textContent);
const POLL_MS = 2000;

// --- Lesson rows ------------------------------------------------------------

const rowsById = new Map(config.lessons.map((row) => [String(row.id), row]));
const uploadingLessons = new Set(); // lessons this page is sending a file for

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function renderCurrent(cell, version) {
  cell.replaceChildren();
  if (!version) {
    cell.append(el("span", { class: "muted" }, "No video yet"));
    return;
  }
  // The labels come from the server (media_pipeline.selectors.rendition_costs): one rule.
  const rungs = version.renditions
    .map((r) => {
      const rate = r.bitrate_label ? ` ${r.bitrate_label}` : "";
      const near = r.near_rung_above ? ` (within 15 % of ${r.near_rung_above})` : "";
      return `${r.name}${rate}${near}`;
    })
    .join(", ");
  const duration = durationLabel(version.duration_s, "--:--");
  cell.textContent = rungs ? `${duration} · ${rungs}` : duration;
  if (version.size_per_hour_label) {
    cell.append(el("p", { class: "muted rung-cost" }, version.size_per_hour_label));
  }
}

function renderLatest(cell, version, lessonId) {
  cell.replaceChildren();
  if (!version) {
    cell.append(el("span", { class: "muted" }, "No upload yet"));
    return;
  }
  cell.append(el("span", { class: `state state--${version.state}` }, version.state_label));
  if (version.state === "transcoding") {
    const percent = Math.round(version.progress_percent);
    const bar = el("progress", { max: "100", value: String(version.progress_percent) });
    bar.textContent = `${percent}%`;
    cell.append(" ", bar, el("span", { class: "state-percent" }, `${percent}%`));
  }
  if (version.reason) {
    cell.append(el("p", { class: "state-reason" }, version.reason));
  } else if (version.state === "uploading" && !uploadingLessons.has(String(lessonId))) {
    cell.append(
      el(
        "p",
        { class: "state-reason" },
        `Upload of ${version.original_filename} not finished: choose the same file again to continue it.`,
      ),
    );
  }
  if (version.playable && version.state === "transcoding") {
    cell.append(el("p", { class: "muted" }, "Already playable while the other sizes finish."));
  }
}

function renderRow(row) {
  rowsById.set(String(row.id), row);
  const tr = document.querySelector(`tr[data-lesson-id="${row.id}"]`);
  if (!tr) return;
  renderCurrent(tr.querySelector('[data-cell="current"]'), row.current);
  renderLatest(tr.querySelector('[data-cell="latest"]'), row.latest, row.id);
  const toggle = tr.querySelector("[data-preview-toggle]");
  if (toggle && !toggle.disabled) toggle.checked = row.is_preview;
}

// --- Polling ------------------------------------------------------------------

let pollTimer = null;

function needsPolling() {
  if (uploadingLessons.size) return true;
  for (const row of rowsById.values()) if (row.processing) return true;
  return false;
}

async function poll() {
  pollTimer = null;
  try {
    const query = config.course ? `?course=${encodeURIComponent(config.course)}` : "";
    const data = await api("GET", `/api/studio/lessons${query}`);
    for (const row of data.lessons) renderRow(row);
  } catch (error) {
    if (error.status === 401 || error.status === 403) {
      showNotice("You have been logged out: reload the page and log in to see the latest state.");
      return; // polling again cannot help
    }
    // A network blip: try again on the next tick.
  }
  schedulePoll();
}

function schedulePoll() {
  if (pollTimer === null && needsPolling()) pollTimer = setTimeout(poll, POLL_MS);
}

function pollSoon() {
  if (pollTimer !== null) clearTimeout(pollTimer);
  pollTimer = null;
  poll();
}

function showNotice(text) {
  let notice = document.getElementById("studio-notice");
  if (!notice) {
    notice = el("p", { id: "studio-notice", class: "message message--error", role: "alert" });
    document.querySelector(".studio__header").after(notice);
  }
  notice.textContent = text;
}

// --- Uploads ------------------------------------------------------------------

const list = document.getElementById("upload-list");
const lessonSelect = document.getElementById("upload-lesson");
const fileInput = document.getElementById("upload-file");
const dropzone = document.getElementById("dropzone");
let activeUploads = 0;

function uploadItem(file, lessonId) {
  const row = rowsById.get(String(lessonId));
  const li = el("li", { class: "upload", "data-upload-lesson": String(lessonId) });
  const title = el("p", { class: "upload__title" });
  title.append(el("strong", {}, `Lesson ${row ? row.number : lessonId}`), ` · ${file.name}`);
  const bar = el("progress", { max: "100", value: "0", class: "upload__bar" });
  const numbers = el("p", { class: "upload__numbers" }, `0 of ${sizeLabel(file.size)}`);
  const status = el("p", { class: "upload__status" }, "Starting…");
  const actions = el("p", { class: "upload__actions" });
  li.append(title, bar, numbers, status, actions);
  list.prepend(li);
  return { li, bar, numbers, status, actions };
}

function setButtons(item, buttons) {
  item.actions.replaceChildren(
    ...buttons.map(([label, onClick]) => {
      const button = el("button", { type: "button", class: "button button--small" }, label);
      button.addEventListener("click", onClick);
      return button;
    }),
  );
}

function startUpload(file, lessonId) {
  if (file.size > config.maxBytes) {
    const item = uploadItem(file, lessonId);
    item.status.textContent = `The file is ${sizeLabel(file.size)}; the largest upload allowed is ${sizeLabel(config.maxBytes)}.`;
    item.li.classList.add("upload--error");
    return;
  }
  const item = uploadItem(file, lessonId);
  const upload = new MultipartUpload(file, uploadApi(lessonId), {
    concurrency: 4,
    onProgress: ({ sent, total, rate }) => {
      const percent = total ? (sent / total) * 100 : 100;
      item.bar.value = percent;
      item.bar.textContent = `${Math.floor(percent)}%`;
      const speed = rate > 0 ? ` · ${sizeLabel(Math.round(rate))}/s` : "";
      item.numbers.textContent = `${sizeLabel(sent)} of ${sizeLabel(total)} · ${Math.floor(percent)}%${speed}`;
    },
    onInfo: (text) => {
      item.status.textContent = text;
    },
  });

  const run = async () => {
    activeUploads += 1;
    uploadingLessons.add(String(lessonId));
    item.li.classList.remove("upload--error", "upload--paused");
    item.li.dataset.state = "uploading";
    item.status.textContent = "Uploading…";
    setButtons(item, [["Cancel", () => upload.cancel()]]);
    pollSoon();
    try {
      const status = await upload.run();
      item.bar.value = 100;
      item.li.dataset.state = "done";
      item.li.classList.add("upload--done");
      item.status.textContent =
        status.state === "uploading"
          ? "Uploaded."
          : "Upload complete. Processing continues on the server: you can leave this page.";
      setButtons(item, []);
    } catch (error) {
      item.li.dataset.state = "stopped";
      if (error instanceof UploadCancelled) {
        item.li.classList.add("upload--paused");
        item.status.textContent = "Paused. The parts already sent are kept.";
        setButtons(item, [
          ["Resume", run],
          ["Discard upload", () => discard()],
        ]);
      } else if (error instanceof UploadInterrupted || !error.status) {
        item.li.classList.add("upload--paused");
        item.status.textContent = `${error.message} Resume when the connection is back.`;
        setButtons(item, [["Resume", run]]);
        window.addEventListener("online", run, { once: true });
      } else if (error.status >= 500) {
        // Object storage (or the server) is down or slow for now: the parts sent are kept.
        item.li.classList.add("upload--paused");
        item.status.textContent = error.message;
        setButtons(item, [["Resume", run]]);
      } else {
        item.li.classList.add("upload--error");
        item.status.textContent = error.message;
        setButtons(item, []);
      }
    } finally {
      activeUploads -= 1;
      uploadingLessons.delete(String(lessonId));
      pollSoon();
    }
  };

  const discard = async () => {
    try {
      await upload.abort();
      item.status.textContent = "Upload discarded.";
      setButtons(item, []);
    } catch (error) {
      item.status.textContent = error.message;
    }
    pollSoon();
  };

  run();
}

function takeFiles(files) {
  const lessonId = lessonSelect.value;
  // One file per lesson: a second one would only replace the first.
  if (files.length) startUpload(files[0], lessonId);
}

if (fileInput) {
  fileInput.addEventListener("change", () => {
    takeFiles(fileInput.files);
    fileInput.value = ""; // picking the same file again (to resume) fires change again
  });

  for (const type of ["dragenter", "dragover"]) {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add("dropzone--over");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    dropzone.addEventListener(type, () => dropzone.classList.remove("dropzone--over"));
  }
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    takeFiles(event.dataTransfer.files);
  });

  document.querySelectorAll("[data-upload-for]").forEach((button) => {
    button.addEventListener("click", () => {
      lessonSelect.value = button.dataset.uploadFor;
      dropzone.scrollIntoView({ behavior: "smooth", block: "center" });
      fileInput.click();
    });
  });
}

// Leaving while bytes are still being sent would stop the upload (it can be
// resumed, but the instructor should know); once sent, leaving is fine.
window.addEventListener("beforeunload", (event) => {
  if (activeUploads > 0) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// --- Preview toggles ----------------------------------------------------------

document.querySelectorAll("[data-preview-toggle]").forEach((toggle) => {
  toggle.addEventListener("change", async () => {
    const lessonId = toggle.closest("tr").dataset.lessonId;
    const wanted = toggle.checked;
    toggle.disabled = true;
    try {
      const data = await api("POST", `/api/studio/lessons/${lessonId}/preview`, {
        is_preview: wanted,
      });
      toggle.checked = data.is_preview;
    } catch (error) {
      toggle.checked = !wanted;
      showNotice(`Could not change the preview setting: ${error.message}`);
    } finally {
      toggle.disabled = false;
    }
  });
});

// --- Course picker --------------------------------------------------------------

const coursePicker = document.getElementById("studio-course");
if (coursePicker) {
  coursePicker.addEventListener("change", () => coursePicker.form.submit());
  document.querySelectorAll(".js-hide").forEach((node) => node.setAttribute("hidden", ""));
}

document.documentElement.dataset.studioReady = "1";
schedulePoll();
