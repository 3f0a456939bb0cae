import { expect } from "@playwright/test";
import { ADMIN, demoStripe, logIn, open, shot, test } from "./helpers";

async function stripePrice(url: string, key: string, id: string) {
  const response = await fetch(`${url}/v1/prices/${id}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  expect(response.ok).toBeTruthy();
  return response.json();
}

test("an admin configures Stripe, verifies it, and builds a synced catalog", async ({ page }) => {
  const stripe = demoStripe();
  await logIn(page, ADMIN);
  await expect(page).toHaveURL(/\/admin$/);

  // Keys: the secret is write-only, shown masked once saved.
  await open(page, "/admin/settings/stripe");
  const testKeys = page.getByRole("group", { name: "Test keys" });
  await testKeys.getByLabel("Publishable key").fill(stripe.key.replace("sk_test_", "pk_test_"));
  await testKeys.getByRole("button", { name: "Replace secret key" }).click();
  await testKeys.getByLabel("Secret key", { exact: true }).fill(stripe.key);
  await page.getByText("Advanced").click();
  // Only Stripe's base or one the environment allows can be chosen (the demo allows its emulator).
  await page.getByLabel("Stripe API base URL").selectOption(stripe.url);
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status")).toHaveText("Settings saved.");
  await expect(testKeys.locator("code.masked").first()).toHaveText(`sk_test_...${stripe.key.slice(-4)}`);
  expect(await page.content()).not.toContain(stripe.key);

  // A bad key is refused with a clear message and changes nothing.
  await page.getByRole("group", { name: "Live keys" }).getByLabel("Secret key", { exact: true }).fill("sk_test_wrongslot12345");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("alert").first()).toContainText("This is a test key");
  await page.getByRole("group", { name: "Live keys" }).getByLabel("Secret key", { exact: true }).fill("");

  await page.getByRole("button", { name: "Verify connection" }).click();
  const report = page.locator(".alert-ok", { hasText: "Connected to Stripe" });
  await expect(report).toContainText("Connected to Stripe in test mode");
  await expect(report).toContainText("Starter");
  await expect(report).toContainText("Account: Stripe emulator (acct_");
  await shot(page, "settings-stripe");

  // A plan with monthly and yearly prices, pushed to Stripe.
  await open(page, "/admin/products");
  await page.getByRole("button", { name: "New product" }).click();
  const name = `Team ${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Description").fill("For whole departments.");
  await page.getByLabel("Amount").nth(0).fill("49");
  await page.getByLabel("Amount").nth(1).fill("490");
  await page.getByRole("button", { name: "Save and sync" }).click();
  const row = page.locator(`tr[data-product='${name}']`);
  await expect(row).toContainText("$49.00 / month");
  await expect(row).toContainText("$490.00 / year");
  await expect(row.locator(".sync")).toHaveText("✓ In sync");
  const oldId = (await row.locator("li", { hasText: "/ month" }).locator("code.price-id").textContent())!.trim();
  expect(oldId).toMatch(/^price_/);

  // A new amount: a new Stripe price, the old one archived but kept.
  await row.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Amount").nth(0).fill("59");
  await page.getByRole("button", { name: "Save and sync" }).click();
  await expect(row).toContainText("$59.00 / month");
  await expect(row.locator(".sync")).toHaveText("✓ In sync");
  const newId = (await row.locator("ul.prices").first().locator("li", { hasText: "/ month" }).locator("code.price-id").textContent())!.trim();
  expect(newId).not.toBe(oldId);
  await row.getByText("1 archived").click();
  await expect(row.locator("details.archived-prices")).toContainText(oldId);
  await shot(page, "products");
  expect((await stripePrice(stripe.url, stripe.key, oldId)).active).toBe(false);
  expect((await stripePrice(stripe.url, stripe.key, newId)).active).toBe(true);

  // The demo registered its webhook endpoint with the emulator, so these changes came back
  // as signed events and sit in the inbox.
  await expect(async () => {
    await open(page, "/admin/events");
    await expect(page.locator("tr[data-event]", { hasText: "price.created" }).first()).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  const priceEvent = page.locator("tr[data-event]", { hasText: "price.created" }).first();
  await priceEvent.getByRole("button", { name: "Details" }).click();
  await expect(page.locator("pre.payload").first()).toContainText('"object": "price"');
  await shot(page, "events");
});
