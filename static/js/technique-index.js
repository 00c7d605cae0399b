// The technique index: filter as the learner types (each item carries its searchable text in
// data-search); for learners with progress, the practice log forms.
import { initPracticeForms } from "./progress-beacon.js";

const box = document.querySelector("[data-technique-search]");
if (box) {
  const input = box.querySelector("input");
  const status = box.querySelector("[role=status]");
  const empty = document.querySelector("[data-technique-empty]");
  const items = [...document.querySelectorAll("[data-technique]")];
  const groups = [...document.querySelectorAll("[data-technique-group]")];
  box.hidden = false;
  const filter = () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const item of items) {
      const match = words.every((word) => item.dataset.search.includes(word));
      item.hidden = !match;
      if (match) shown += 1;
    }
    for (const group of groups) {
      group.hidden = words.length > 0 && !group.querySelector("[data-technique]:not([hidden])");
    }
    empty.hidden = shown > 0;
    status.textContent = words.length ? `${shown} of ${items.length} techniques` : "";
  };
  input.addEventListener("input", filter);
  filter();
}

const index = document.querySelector(".technique-index[data-records-progress]");
if (index) initPracticeForms(index);
