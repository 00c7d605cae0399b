// Article comments: "Reply" turns the form into a reply to that comment (one level deep)
// without a page load; without JavaScript the link's ?reply= does the same.
const form = document.getElementById("comment-form");
if (form) {
  const parent = form.querySelector('input[name="parent"]');
  const note = form.querySelector("[data-replying]");
  const body = form.querySelector("textarea[name='body']");
  for (const link of document.querySelectorAll("[data-reply-to]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      parent.value = link.dataset.replyTo;
      note.hidden = false;
      note.firstChild.textContent = `Replying to ${link.dataset.replyName}. `;
      body.focus();
    });
  }
  form.querySelector("[data-reply-cancel]")?.addEventListener("click", () => {
    parent.value = "";
    note.hidden = true;
    body.focus();
  });
}
