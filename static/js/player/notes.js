// The learner's notes on the lesson page: "Add note" (or N) captures the player's current
// time, the form saves it through POST /api/lessons/<id>/notes, the list stays in time order,
// and a note's time seeks the player there. The server renders the list on load; this only
// adds, removes and seeks.

import { durationLabel } from "../format.js";
import { sendJson } from "./progress-beacon.js";

const problem = (failure) =>
  failure instanceof TypeError ? "No connection: the note was not saved. Try again." : failure.message;

async function detailOf(response) {
  const body = await response.json().catch(() => ({}));
  return body.detail || `The server answered ${response.status}.`;
}

export function initNotes(player, section) {
  if (!section) return;
  const addButton = player.root.querySelector('[data-action="add-note"]');
  const form = section.querySelector("[data-note-form]");
  const body = form.querySelector("[data-note-body]");
  const technique = form.querySelector("[data-note-technique]");
  const at = form.querySelector("[data-note-at]");
  const error = form.querySelector("[data-note-error]");
  const list = section.querySelector("[data-note-list]");
  const empty = section.querySelector("[data-notes-empty]");
  const csrfToken = section.dataset.csrfToken;
  let time = 0;

  const open = () => {
    time = Math.max(0, player.video.currentTime || 0);
    player.pause(); // typing while the lesson runs on loses the moment being described
    at.textContent = durationLabel(time);
    error.hidden = true;
    form.hidden = false;
    body.focus();
  };
  addButton?.addEventListener("click", open);
  player.root.addEventListener("addnote", open); // the N key (keyboard.js)

  form.querySelector("[data-note-cancel]").addEventListener("click", () => {
    form.hidden = true;
    addButton?.focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const save = form.querySelector('button[type="submit"]');
    save.disabled = true;
    error.hidden = true;
    try {
      const response = await sendJson(section.dataset.notesUrl, {
        body: {
          time_s: Math.round(time * 1000) / 1000,
          body: body.value,
          technique_id: technique?.value ? Number(technique.value) : null,
        },
        csrfToken,
      });
      if (!response.ok) throw new Error(await detailOf(response));
      insert(await response.json());
      form.reset();
      form.hidden = true;
      addButton?.focus();
    } catch (failure) {
      error.textContent = problem(failure); // what was typed stays in the form
      error.hidden = false;
    } finally {
      save.disabled = false;
    }
  });

  const techniqueLabel = (id) => {
    const option = technique?.querySelector(`option[value="${id}"]`);
    return option ? option.textContent.split(":")[0] : "";
  };

  function insert(note) {
    const item = document.createElement("li");
    item.className = "note";
    item.dataset.note = "";
    item.dataset.noteId = String(note.id);
    item.dataset.time = String(note.time_s);
    const seek = document.createElement("a");
    seek.className = "note__time";
    seek.href = `?t=${Math.round(note.time_s)}`;
    seek.dataset.noteSeek = "";
    seek.textContent = durationLabel(note.time_s);
    item.append(seek);
    if (note.technique_id) {
      const tag = document.createElement("span");
      tag.className = "note__technique";
      tag.textContent = techniqueLabel(note.technique_id);
      item.append(" ", tag);
    }
    const text = document.createElement("div");
    text.className = "note__body";
    // body_html is the server's sanitized rendering (courses.markup): safe to insert.
    text.innerHTML = note.body_html || '<p class="muted">Bookmark</p>';
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "note__delete button button--small button--quiet";
    remove.dataset.noteDelete = "";
    remove.textContent = "Delete";
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = ` the note at ${durationLabel(note.time_s)}`;
    remove.append(hidden);
    item.append(text, remove);
    const after = [...list.children].find((li) => Number(li.dataset.time) > note.time_s);
    list.insertBefore(item, after ?? null);
    empty.hidden = true;
  }

  list.addEventListener("click", async (event) => {
    const item = event.target.closest("[data-note]");
    if (!item) return;
    if (event.target.closest("[data-note-seek]")) {
      event.preventDefault();
      player.seek(Number(item.dataset.time));
      player.root.focus();
      return;
    }
    if (event.target.closest("[data-note-delete]")) {
      const url = `/api/notes/${item.dataset.noteId}`;
      const response = await sendJson(url, { method: "DELETE", csrfToken }).catch(() => null);
      if (response?.ok) {
        item.remove();
        empty.hidden = list.children.length > 0;
      }
    }
  });
}
