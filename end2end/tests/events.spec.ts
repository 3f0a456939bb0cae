import { expect } from "@playwright/test";
import { ADMIN, demoStripe, logIn, open, shot, test } from "./helpers";

test("an admin follows an event from Stripe, compares its object and replays it", async ({ page, request }) => {
  const stripe = demoStripe();
  // A change in Stripe: the demo's emulator signs the event and delivers it to Paydesk.
  const created = await request.post(`${stripe.url}/v1/customers`, {
    headers: { Authorization: `Bearer ${stripe.key}` },
    form: { email: "events-e2e@example.com", name: "Eve Events" },
  });
  expect(created.ok()).toBeTruthy();
  const customer = (await created.json()).id as string;

  await logIn(page, ADMIN);
  await expect(page).toHaveURL(/\/admin$/);
  const row = page.locator("tr[data-event]", { hasText: "customer.created" }).filter({ hasText: customer });
  // The worker applies events in the background: reload, search, until the row says so.
  const untilProcessed = () =>
    expect(async () => {
      await open(page, "/admin/events");
      await page.getByLabel("Type, event or object ID").fill(customer);
      await page.getByLabel("Type, event or object ID").press("Enter");
      await expect(row.locator(".status")).toHaveText("processed", { timeout: 1000 });
    }).toPass({ timeout: 15_000 });
  await untilProcessed();

  await row.getByRole("button", { name: "Details" }).click();
  await page.getByRole("button", { name: "Compare with Stripe" }).click();
  await expect(page.getByTestId("comparison")).toContainText(`copy of ${customer} matches Stripe`);
  await expect(page.locator("pre.payload").first()).toContainText("events-e2e@example.com");
  await shot(page, "event-compare");

  await page.getByRole("button", { name: "Replay", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("1 event(s) queued again.");
  // Replaying is safe: the worker applies it again and nothing changes.
  await untilProcessed();

  // Several at once: select two events and replay them together.
  await open(page, "/admin/events");
  const boxes = page.locator("tr[data-event] input[type=checkbox]");
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.getByTestId("replay-selected").click();
  await expect(page.getByRole("status")).toHaveText("2 event(s) queued again.");
  await shot(page, "events");
});
