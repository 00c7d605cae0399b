// The payment page: the card form mounted by Stripe.js (or localstripe's stand-in),
// confirmCardSetup for the card (3-D Secure where asked), then the server charges the
// order and hands back `requires_action` for Stripe.js to authenticate.
const form = document.getElementById("payment-form");
const button = document.getElementById("pay-button");
const errorBox = document.getElementById("payment-error");
const statusBox = document.getElementById("payment-status");
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const payLabel = button.textContent;

// localstripe's stand-in mounts bare inputs; real Stripe mounts its own labelled iframe.
const INPUT_NAMES = {
  number: "Card number", exp_month: "Expiry month (MM)", exp_year: "Expiry year (YY)",
  cvc: "Security code (CVC)", postal_code: "Postal code",
};

class PaymentError extends Error {}

function showError(message) {
  errorBox.textContent = message;
  statusBox.textContent = "";
}

function busy(on, message = "") {
  button.disabled = on;
  button.textContent = on ? "Processing…" : payLabel;
  statusBox.textContent = message;
}

async function post(url, body = {}) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body),
    });
  } catch {
    throw new PaymentError("The connection failed. Nothing was charged; check your network and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok && data.status !== "failed") {
    throw new PaymentError(data.message || `The server answered ${response.status}. Please try again.`);
  }
  return data;
}

function labelInputs(container) {
  for (const input of container.querySelectorAll("input")) {
    const name = INPUT_NAMES[input.getAttribute("placeholder")];
    if (name && !input.hasAttribute("aria-label")) input.setAttribute("aria-label", name);
  }
}

function settle(outcome) {
  if (outcome.status === "paid") {
    busy(true, "Payment received. Opening your course…");
    window.location.assign(outcome.redirect);
    return true;
  }
  if (outcome.status === "processing") {
    busy(false, outcome.message);
    return true;
  }
  throw new PaymentError(outcome.message || "The payment did not go through.");
}

async function pay(stripe, card) {
  const setup = await post(form.dataset.setupUrl);
  if (!setup.client_secret) throw new PaymentError(setup.message || "The card form could not start.");
  const result = await stripe.confirmCardSetup(setup.client_secret, { payment_method: { card } });
  if (result.error) throw new PaymentError(result.error.message || "Your card was declined.");
  let outcome = await post(form.dataset.chargeUrl, { setup_intent: result.setupIntent.id });
  if (outcome.status === "requires_action") {
    busy(true, "Your bank asks you to confirm this payment…");
    const action = await stripe.confirmCardPayment(outcome.client_secret);
    if (action.error && action.error.message) statusBox.textContent = action.error.message;
    outcome = await post(form.dataset.confirmUrl);
  }
  settle(outcome);
}

function start() {
  if (typeof window.Stripe !== "function") {
    showError("The card form could not load. Check your connection, then reload the page.");
    return;
  }
  const stripe = window.Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  const container = document.getElementById("card-element");
  card.mount(container);
  labelInputs(container);
  button.disabled = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.textContent = "";
    busy(true, "Checking your card…");
    try {
      await pay(stripe, card);
    } catch (error) {
      busy(false);
      showError(error instanceof PaymentError ? error.message : "Something went wrong. Nothing was charged; please try again.");
    }
  });
}

start();
