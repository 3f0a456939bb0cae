import { APIRequestContext, expect, Page } from "@playwright/test";

/** The stripe-emulator that `./paydesk.sh test` starts for these tests, and the key it accepts. */
export function emulator(): { url: string; key: string } {
  const url = process.env.EMULATOR_URL;
  const key = process.env.EMULATOR_KEY;
  if (!url || !key) {
    throw new Error(
      "EMULATOR_URL and EMULATOR_KEY are not set: run these tests through ./paydesk.sh test, or start " +
        "`stripe-emulator --addr 127.0.0.1:PORT --api-key sk_test_...` and export both",
    );
  }
  return { url: url.replace(/\/+$/, ""), key };
}

type Params = Record<string, string | number | boolean>;

/** One call to the emulator's Stripe API, form-encoded as Stripe's clients send it; to the
 * tests' own emulator unless another (the demo's) is named. */
export async function stripe(
  request: APIRequestContext,
  method: "GET" | "POST" | "DELETE",
  path: string,
  params: Params = {},
  target: { url: string; key: string } = emulator(),
) {
  const { url, key } = target;
  const headers = { Authorization: `Bearer ${key}` };
  const response =
    method === "POST"
      ? await request.post(`${url}/v1${path}`, { headers, form: params })
      : await request.fetch(`${url}/v1${path}`, { method, headers, params });
  const body = await response.json();
  expect(response.ok(), `${method} /v1${path}: ${JSON.stringify(body)}`).toBe(true);
  return body;
}

/** A product with a monthly price, and an open subscription-mode Checkout Session for it. */
export async function subscriptionCheckout(
  request: APIRequestContext,
  opts: { name: string; amount: number; currency?: string; extra?: Params },
) {
  const { url } = emulator();
  const product = await stripe(request, "POST", "/products", { name: opts.name });
  const price = await stripe(request, "POST", "/prices", {
    product: product.id,
    unit_amount: opts.amount,
    currency: opts.currency ?? "usd",
    "recurring[interval]": "month",
  });
  // The emulator's own clock endpoint answers any GET, so it stands in for the merchant's pages.
  const session = await stripe(request, "POST", "/checkout/sessions", {
    mode: "subscription",
    "line_items[0][price]": price.id,
    "line_items[0][quantity]": 1,
    success_url: `${url}/_emulator/clock?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${url}/_emulator/clock?checkout=cancelled`,
    ...opts.extra,
  });
  expect(session.url).toBe(`${url}/c/pay/${session.id}`);
  return { product, price, session };
}

export const CARDS = {
  succeeds: "4242 4242 4242 4242",
  declined: "4000 0000 0000 0002",
  authentication: "4000 0025 0000 3155",
};

/** Fills the hosted Checkout form as a buyer would (email only where the page asks for it). */
export async function fillCheckout(
  page: Page,
  card: string,
  who: { email?: string; country?: string; postalCode?: string } = {},
) {
  const email = page.getByLabel("Email", { exact: true });
  if (who.email) await email.fill(who.email);
  await page.getByLabel("Card number").fill(card);
  await page.getByLabel("Expiry").fill("12 / 34");
  await page.getByLabel("CVC").fill("123");
  await page.getByLabel("Name on card").fill("Grace Hopper");
  await page.getByLabel("Address", { exact: true }).fill("1 Harbor Way");
  await page.getByLabel("City").fill("Springfield");
  await page.getByLabel("Postal code").fill(who.postalCode ?? "94107");
  await page.getByLabel("Country (ISO code)").fill(who.country ?? "US");
}
