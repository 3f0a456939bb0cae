import { APIRequestContext, expect, Page } from "@playwright/test";
import { shot, test } from "./helpers";
import { CARDS, emulator, fillCheckout, stripe, subscriptionCheckout } from "./emulator";

// The stripe-emulator's hosted Checkout page, driven in a real browser against the emulator's real
// HTTP API: one test per test card's outcome, and the tax line. Runs against the emulator process
// `./paydesk.sh test` starts (EMULATOR_URL, EMULATOR_KEY); fails at once when that is missing.

const buyer = (tag: string) => `${tag}-${Date.now()}@example.com`;

async function openCheckout(page: Page, url: string) {
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
}

async function expectUnpaid(request: APIRequestContext, sessionId: string, email: string) {
  const session = await stripe(request, "GET", `/checkout/sessions/${sessionId}`);
  expect(session.status).toBe("open");
  expect(session.payment_status).toBe("unpaid");
  expect(session.subscription).toBeNull();
  expect(session.invoice).toBeNull();
  const customers = await stripe(request, "GET", "/customers", { email });
  expect(customers.data).toEqual([]);
}

async function expectActiveSubscription(
  request: APIRequestContext,
  sessionId: string,
  priceId: string,
  last4: string,
) {
  const session = await stripe(request, "GET", `/checkout/sessions/${sessionId}`);
  expect(session.status).toBe("complete");
  expect(session.payment_status).toBe("paid");
  expect(session.subscription).toMatch(/^sub_/);
  const sub = await stripe(request, "GET", `/subscriptions/${session.subscription}`, {
    "expand[]": "latest_invoice",
  });
  expect(sub.status).toBe("active");
  expect(sub.customer).toBe(session.customer);
  expect(sub.items.data.map((i: { price: { id: string } }) => i.price.id)).toEqual([priceId]);
  expect(sub.latest_invoice.status).toBe("paid");
  expect(sub.latest_invoice.amount_paid).toBe(session.amount_total);
  const pm = await stripe(request, "GET", `/payment_methods/${sub.default_payment_method}`);
  expect(pm.card.last4).toBe(last4);
  return { session, sub };
}

test.beforeAll(() => {
  emulator(); // throws, failing every test here, when the emulator's URL or key is missing
});

test("checkout: 4242 4242 4242 4242 pays and returns to success_url", async ({ page, request }) => {
  const { url } = emulator();
  const { price, session } = await subscriptionCheckout(request, { name: "Pro plan", amount: 1900 });
  await openCheckout(page, session.url);
  await expect(page.locator("tr.line")).toHaveText(/Pro plan × 1 per month\s*\$19\.00/);
  await expect(page.locator("#total")).toHaveText("$19.00");
  await expect(page.locator("tr.tax")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "← Back" })).toHaveAttribute(
    "href",
    `${url}/_emulator/clock?checkout=cancelled`,
  );
  await fillCheckout(page, CARDS.succeeds, { email: buyer("visa") });
  await shot(page, "emulator-checkout");
  await page.getByRole("button", { name: "Subscribe" }).click();

  await page.waitForURL(`${url}/_emulator/clock?checkout=success&session_id=${session.id}`);
  expect(page.url()).not.toContain("{CHECKOUT_SESSION_ID}");
  await expectActiveSubscription(request, session.id, price.id, "4242");

  // The session's page now says it is paid instead of taking a second payment.
  await page.goto(session.url);
  await expect(
    page.getByRole("heading", { name: "This Checkout Session is already complete" }),
  ).toBeVisible();
});

test("checkout: 4000 0000 0000 0002 is declined on the page and nothing is paid", async ({
  page,
  request,
}) => {
  const { price, session } = await subscriptionCheckout(request, { name: "Declined plan", amount: 2500 });
  const email = buyer("declined");
  await openCheckout(page, session.url);
  await fillCheckout(page, CARDS.declined, { email });
  await page.getByRole("button", { name: "Subscribe" }).click();

  await expect(page.getByRole("alert")).toHaveText("Your card was declined.");
  await expect(page).toHaveURL(session.url);
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  // What the buyer typed is kept, so only the card needs changing.
  await expect(page.getByLabel("Email", { exact: true })).toHaveValue(email);
  await expect(page.getByLabel("Card number")).toHaveValue(CARDS.declined);
  await shot(page, "emulator-checkout-declined");
  await expectUnpaid(request, session.id, email);

  // Another card on the same page then goes through.
  await page.getByLabel("Card number").fill(CARDS.succeeds);
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.waitForURL(/checkout=success/);
  await expectActiveSubscription(request, session.id, price.id, "4242");
});

test("checkout: 4000 0025 0000 3155 asks for authentication, then pays", async ({
  page,
  request,
}) => {
  const { url } = emulator();
  const { price, session } = await subscriptionCheckout(request, { name: "3DS plan", amount: 4900 });
  const email = buyer("3ds");
  await openCheckout(page, session.url);
  await fillCheckout(page, CARDS.authentication, { email });
  await page.getByRole("button", { name: "Subscribe" }).click();

  await expect(page.getByRole("heading", { name: "Authenticate this payment" })).toBeVisible();
  await shot(page, "emulator-checkout-authenticate");
  await expectUnpaid(request, session.id, email);
  await page.getByRole("button", { name: "Complete authentication" }).click();

  await page.waitForURL(`${url}/_emulator/clock?checkout=success&session_id=${session.id}`);
  const { session: paid } = await expectActiveSubscription(request, session.id, price.id, "3155");
  expect(paid.amount_total).toBe(4900);
});

test("checkout: failing the authentication leaves the session unpaid", async ({ page, request }) => {
  const { session } = await subscriptionCheckout(request, { name: "3DS refused", amount: 4900 });
  const email = buyer("3ds-fail");
  await openCheckout(page, session.url);
  await fillCheckout(page, CARDS.authentication, { email });
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.getByRole("button", { name: "Fail authentication" }).click();

  await expect(page.getByRole("alert")).toHaveText(
    "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
  );
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await expect(page.getByLabel("Card number")).toHaveValue(CARDS.authentication);
  await expectUnpaid(request, session.id, email);
});

test("checkout with automatic tax shows the tax line and charges it", async ({ page, request }) => {
  // A customer Stripe Tax can locate (Berlin: 19 % VAT), so the page knows the tax up front.
  const customer = await stripe(request, "POST", "/customers", {
    email: buyer("tax"),
    name: "Ada Lovelace",
    "address[line1]": "Unter den Linden 1",
    "address[city]": "Berlin",
    "address[postal_code]": "10117",
    "address[country]": "DE",
  });
  const { price, session } = await subscriptionCheckout(request, {
    name: "Taxed plan",
    amount: 1000,
    currency: "eur",
    extra: { customer: customer.id, "automatic_tax[enabled]": true },
  });
  expect(session.automatic_tax.status).toBe("complete");
  expect(session.total_details.amount_tax).toBe(190);
  await openCheckout(page, session.url);
  await expect(page.locator("tr.tax")).toHaveText(/Tax\s*€1\.90/);
  await expect(page.locator("#total")).toHaveText("€11.90");
  // The session has a customer, so the page does not ask for an email.
  await expect(page.getByLabel("Email", { exact: true })).toHaveCount(0);
  await shot(page, "emulator-checkout-tax");

  await fillCheckout(page, CARDS.succeeds, { country: "DE", postalCode: "10117" });
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.waitForURL(/checkout=success/);
  const { session: paid, sub } = await expectActiveSubscription(request, session.id, price.id, "4242");
  expect(paid.customer).toBe(customer.id);
  expect(paid.amount_total).toBe(1190);
  expect(paid.total_details.amount_tax).toBe(190);
  expect(sub.automatic_tax.enabled).toBe(true);

  // Without a known address the line is there too, saying how the tax will be found.
  const { session: anonymous } = await subscriptionCheckout(request, {
    name: "Taxed plan, new buyer",
    amount: 1000,
    currency: "eur",
    extra: { "automatic_tax[enabled]": true },
  });
  await openCheckout(page, anonymous.url);
  await expect(page.locator("tr.tax")).toHaveText(/Tax\s*Calculated from your billing address/);
});
