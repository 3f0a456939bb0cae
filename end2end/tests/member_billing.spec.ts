import { expect } from "@playwright/test";
import { open, plan, saveAddress, shot, signUp, subscribe, test } from "./helpers";
import { fillCheckout } from "./emulator";

// A member's billing, end to end: Paydesk's pages, the demo's Stripe emulator with its hosted
// Checkout and portal, and signed webhooks back to Paydesk. Each test signs up its own member.

test("a member subscribes monthly, switches to yearly, cancels, resumes and visits the portal", async ({ page }) => {
  await signUp(page, "Sam Subscriber");
  await open(page, "/billing/plans");
  await expect(plan(page, "Starter")).toContainText("$9.00 / month");
  await shot(page, "member-plans");

  await subscribe(page, "Starter", "4242 4242 4242 4242");
  await expect(page).toHaveURL(/\/billing\/checkout\/success\?session_id=cs_/);
  await expect(page.getByRole("heading", { name: "Thank you for buying Starter" })).toBeVisible();
  // Access comes from the webhook; the page updates by itself when it has arrived.
  await expect(page.getByTestId("confirmed")).toContainText("Starter is active and renews on", { timeout: 20_000 });
  await shot(page, "member-checkout-success");

  await open(page, "/billing");
  await expect(page.getByTestId("subscription-status")).toHaveText("Active");
  await expect(page.getByTestId("subscription")).toContainText("Visa ending 4242");

  // Switch to yearly: the preview comes first, the change only on confirming.
  await open(page, "/billing/plans");
  await page.getByRole("button", { name: "Yearly" }).click();
  await plan(page, "Starter").getByRole("button", { name: "Switch to this plan" }).click();
  const preview = page.getByTestId("switch-preview");
  await expect(preview).toContainText("Switch to Starter / year");
  await expect(preview).toContainText("Charged now");
  await expect(page.getByTestId("amount-due")).toHaveText(/^\$\d+\.\d\d$/);
  await shot(page, "member-switch-preview");
  await preview.getByRole("button", { name: "Confirm switch" }).click();
  await expect(page).toHaveURL(/\/billing\?changed=1$/);
  await expect(page.getByTestId("subscription")).toContainText("$90.00 / year");

  // Cancel at the end of the period: access stays until the date shown.
  await page.getByRole("button", { name: "Cancel plan" }).click();
  await page.getByRole("button", { name: "Yes, cancel at period end" }).click();
  await expect(page.getByTestId("subscription-status")).toHaveText("Canceled; active until the period ends");
  await expect(page.getByTestId("subscription")).toContainText("Ends on");
  const end = await page.getByTestId("period-end").textContent();
  expect(end).toMatch(/\w+ \d{1,2}, \d{4}/);
  await shot(page, "member-canceled");

  await page.getByRole("button", { name: "Resume plan" }).click();
  await expect(page.getByTestId("subscription-status")).toHaveText("Active");
  await expect(page.getByTestId("subscription")).toContainText("Renews on");

  // Stripe's portal for this customer, and back to the overview.
  await page.getByRole("button", { name: "Open customer portal" }).click();
  await expect(page.locator("#return")).toBeVisible();
  await shot(page, "member-portal");
  await page.locator("#return").click();
  await expect(page).toHaveURL(/\/billing$/);
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
});

test("a declined card shows the decline on Checkout and grants nothing", async ({ page }) => {
  await signUp(page, "Dee Declined");
  await subscribe(page, "Starter", "4000 0000 0000 0002");
  await expect(page.getByRole("alert")).toHaveText("Your card was declined.");
  await shot(page, "member-declined");
  await open(page, "/billing");
  await expect(page.getByTestId("plan-status")).toHaveText("You have no subscription yet.");
});

test("a member adds a card, makes it the default and sees an unrecognised address flagged", async ({ page }) => {
  await signUp(page, "Carla Cards");
  await subscribe(page, "Starter", "4242 4242 4242 4242");
  await expect(page.getByTestId("confirmed")).toBeVisible({ timeout: 20_000 });

  await open(page, "/billing/payment-methods");
  await expect(page.getByTestId("saved-card")).toHaveCount(1);
  await page.getByRole("button", { name: "Add a card" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCheckout(page, "5555 5555 5555 4444");
  await page.getByRole("button", { name: "Save card" }).click();
  await expect(page.getByRole("heading", { name: "Card saved" })).toBeVisible();
  await expect(page.getByTestId("confirmed")).toBeVisible({ timeout: 20_000 });

  await open(page, "/billing/payment-methods");
  await expect(page.getByTestId("saved-card")).toHaveCount(2);
  const mastercard = page.getByTestId("saved-card").filter({ hasText: "ending 4444" });
  await mastercard.getByRole("button", { name: "Make default" }).click();
  await expect(mastercard).toContainText("Default");
  await shot(page, "member-payment-methods");

  await saveAddress(page, "1");
  await expect(page.getByTestId("address-status")).toContainText("Stripe does not recognise this address.");
  await shot(page, "member-address-unrecognised");
  await page.getByLabel("Postal code").fill("10115");
  await page.getByRole("button", { name: "Save address" }).click();
  await expect(page.getByTestId("address-status")).toContainText("Stripe recognises this address");
  await page.getByLabel("Number").fill("DE123456789");
  await page.getByRole("button", { name: "Add Tax ID" }).click();
  await expect(page.getByTestId("tax-id")).toContainText("DE123456789");
  await shot(page, "member-address");
});

test("a member buys a top-up that moves paid-until, and a meetup ticket", async ({ page }) => {
  await signUp(page, "Tia Topup");
  await open(page, "/billing/plans");
  const topUp = page.getByTestId("one-off").filter({ hasText: "Pro for 3 months" });
  await expect(topUp).toContainText("Gives Pro for 3 months.");
  await topUp.getByRole("button", { name: "Top up" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCheckout(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: /^Pay/ }).click();
  await expect(page.getByTestId("confirmed")).toContainText("Pro account, paid until", { timeout: 20_000 });
  const until = new Date((await page.getByTestId("confirmed").textContent())!.replace(/.*paid until (.*)\.$/, "$1"));
  const days = (until.getTime() - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(85);
  expect(days).toBeLessThan(95);
  await shot(page, "member-top-up");

  await open(page, "/billing/plans");
  const ticket = page.getByTestId("one-off").filter({ hasText: "Launch meetup ticket" });
  await ticket.getByRole("button", { name: "Buy" }).click();
  await fillCheckout(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: /^Pay/ }).click();
  await expect(page.getByRole("heading", { name: "Thank you for buying Launch meetup ticket" })).toBeVisible();
  await expect(page.getByTestId("confirmed")).toHaveText("Your purchase of Launch meetup ticket is confirmed.", {
    timeout: 20_000,
  });
  await shot(page, "member-ticket");
});
