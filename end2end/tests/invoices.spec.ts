import { Browser, expect, Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ADMIN, logIn, open, shot, signUp, test } from "./helpers";
import { fillCheckout } from "./emulator";

// Invoices, payments and refunds, API tokens and the invoice seller block: a member buys a
// plan through the demo's Stripe emulator, downloads the invoice PDF; the admin refunds part
// of the payment, makes a member API token and revokes it.

/** A 1×1 PNG, as an admin would upload a logo. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

async function signUpAndSubscribe(page: Page, name: string) {
  const email = await signUp(page, name);

  await open(page, "/billing/plans");
  await page
    .getByTestId("plan")
    .filter({ has: page.getByRole("heading", { name: "Starter" }) })
    .getByRole("button", { name: "Subscribe" })
    .click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCheckout(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Subscribe" }).click();
  // Access, and the invoice, come from Stripe's webhooks.
  await expect(page.getByTestId("confirmed")).toContainText("Starter is active", { timeout: 20_000 });
  return email;
}

async function adminPage(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, ADMIN);
  await expect(page).toHaveURL(/\/admin$/);
  return page;
}

test("a member downloads an invoice; the admin refunds part of it and manages API tokens", async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const email = await signUpAndSubscribe(page, "Ines Invoice");

  await test.step("the member sees the paid invoice and downloads its PDF", async () => {
    const invoice = page.getByTestId("invoice").first();
    // The invoice is stored by the worker as its webhook arrives: look again until it is there.
    await expect(async () => {
      await open(page, "/billing/invoices");
      await expect(invoice).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await expect(page.getByRole("link", { name: "Invoices" })).toHaveAttribute("aria-current", "page");
    await expect(invoice).toContainText("$9.00");
    await expect(invoice).toContainText("Paid");
    await shot(page, "invoices-member");

    const link = invoice.getByRole("link", { name: "Download" });
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const saved = await download.path();
    expect(readFileSync(saved!).subarray(0, 5).toString()).toBe("%PDF-");
    // Kept beside the screenshots, to look at (`pdftoppm -png screenshots/invoice-member.pdf`).
    await download.saveAs("screenshots/invoice-member.pdf");
    const response = await page.request.get((await link.getAttribute("href"))!);
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toContain("application/pdf");
  });

  const admin = await adminPage(browser);

  await test.step("the admin sets the seller block printed on invoices", async () => {
    await open(admin, "/admin/settings/invoices");
    await admin.getByLabel("Business name").fill("Paydesk Demo GmbH");
    await admin.getByLabel("Billing email").fill("billing@paydesk.test");
    await admin.getByLabel("Address").fill("Unter den Linden 1\n10117 Berlin\nGermany");
    await admin.getByLabel("Tax ID").fill("DE123456789");
    await admin.getByLabel("Upload a PNG").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: PNG });
    await expect(admin.getByAltText("New logo")).toBeVisible();
    await admin.getByRole("button", { name: "Save invoice details" }).click();
    await expect(admin.getByRole("status")).toHaveText("Invoice details saved.");
    await expect(admin.getByText("A logo is set.")).toBeVisible();
    await shot(admin, "invoices-settings");
    await open(admin, "/admin/settings/invoices");
    await expect(admin.getByLabel("Business name")).toHaveValue("Paydesk Demo GmbH");
    await expect(admin.getByLabel("Address")).toHaveValue("Unter den Linden 1\n10117 Berlin\nGermany");
  });

  await test.step("the admin finds the invoice by member", async () => {
    await open(admin, "/admin/invoices");
    await admin.getByLabel("Member").fill(email);
    await admin.getByLabel("Status").selectOption("paid");
    await admin.getByRole("button", { name: "Filter" }).click();
    await expect(admin).toHaveURL(/\/admin\/invoices\?.*status=paid/);
    const row = admin.getByTestId("invoice");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(email);
    await expect(row).toContainText("$9.00");
    await expect(row.getByRole("link", { name: "Download" })).toHaveAttribute("href", /\/billing\/invoices\/.+\/pdf$/);
    await shot(admin, "invoices-admin");
    await admin.getByRole("link", { name: "Clear" }).click();
    await expect(admin).toHaveURL(/\/admin\/invoices$/);
    await expect(admin.getByLabel("Member")).toHaveValue("");
    await expect(admin.getByLabel("Status")).toHaveValue("");
  });

  let paymentId = "";
  await test.step("the admin refunds part of the payment", async () => {
    await open(admin, "/admin/payments");
    await admin.getByLabel("Member").fill(email);
    await admin.getByRole("button", { name: "Search" }).click();
    const row = admin.getByTestId("payment").filter({ hasText: email });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("Visa ending 4242");
    await expect(row.getByTestId("payment-state")).toHaveText("Succeeded");
    await expect(row.getByTestId("refunded")).toHaveText("—");
    paymentId = (await row.getAttribute("data-payment"))!;

    await row.getByRole("button", { name: "Refund" }).click();
    const form = admin.getByTestId("refund-form");
    await expect(form.getByLabel("Amount")).toHaveAttribute("placeholder", "up to $9.00");
    // Too much is refused next to the field, and what was typed stays.
    await form.getByLabel("Amount").fill("10");
    await form.getByRole("button", { name: "Refund payment" }).click();
    await expect(form.getByRole("alert")).toHaveText("At most $9.00 is left to refund.");
    await form.getByLabel("Amount").fill("4.00");
    await form.getByLabel("Reason").selectOption({ label: "Duplicate" });
    await form.getByLabel("Note").fill("Charged twice by mistake");
    await shot(admin, "invoices-refund-form");
    await form.getByRole("button", { name: "Refund payment" }).click();
    await expect(admin.getByTestId("refund-notice")).toHaveText(/^Refund of \$4\.00 (made|requested)/);
    // The list asks again by itself once Stripe's webhook has had time to arrive.
    await expect(row.getByTestId("payment-state")).toHaveText("Partially refunded", { timeout: 15_000 });
    await expect(row.getByTestId("refunded")).toHaveText("$4.00");
    await expect(row.getByRole("button", { name: "Refund" })).toBeVisible();
    await shot(admin, "invoices-payments");

    await admin.getByRole("link", { name: "Partially refunded" }).click();
    await expect(admin).toHaveURL(/state=partially_refunded/);
    await expect(row).toHaveCount(1);
  });

  await test.step("the refund shows on the invoice, for the admin and the member", async () => {
    await open(admin, `/admin/invoices?member=${encodeURIComponent(email)}`);
    const row = admin.getByTestId("invoice");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("$4.00");
    await expect(row).toContainText("Partially refunded");
    await open(page, "/billing/invoices");
    await expect(page.getByTestId("invoice").first()).toContainText("Partially refunded");
  });

  await test.step("the admin makes a member API token, sees its secret once and revokes it", async () => {
    await open(admin, "/admin/api-tokens");
    const name = `Ines's script ${Date.now()}`;
    await admin.getByLabel("Name").fill(name);
    await expect(admin.getByLabel("Member email")).toHaveCount(0);
    await admin.getByLabel("One member").check();
    await admin.getByLabel("Member email").fill(email);
    await admin.getByRole("button", { name: "Create token" }).click();
    const created = admin.getByTestId("new-token");
    await expect(created).toContainText("Copy it now; it will not be shown again.");
    const secret = await admin.getByTestId("token-secret").inputValue();
    expect(secret.length).toBeGreaterThan(20);
    const row = admin.getByTestId("api-token").filter({ hasText: name });
    await expect(row).toContainText(email);
    await expect(row.getByTestId("token-status")).toHaveText("Active");
    await expect(admin.getByLabel("Name")).toHaveValue("");
    await shot(admin, "invoices-api-token");

    // The token acts as the member: it can read the member's payment.
    const asMember = { headers: { Authorization: `Bearer ${secret}` } };
    expect((await admin.request.get(`/api/payments/${paymentId}`, asMember)).status()).toBe(200);

    // Shown once: a reload lists the token without its secret.
    await open(admin, "/admin/api-tokens");
    await expect(admin.getByTestId("new-token")).toHaveCount(0);
    await expect(admin.getByText(secret)).toHaveCount(0);

    await row.getByRole("button", { name: "Revoke" }).click();
    await shot(admin, "invoices-api-token-revoke");
    await admin.getByRole("button", { name: "Yes, revoke" }).click();
    await expect(row.getByTestId("token-status")).toHaveText("Revoked");
    await expect(row.getByRole("button", { name: "Revoke" })).toHaveCount(0);
    expect((await admin.request.get(`/api/payments/${paymentId}`, asMember)).status()).toBe(401);
    await shot(admin, "invoices-api-token-revoked");

    // The refund and both token actions are in the audit log, with the admin who did them.
    await open(admin, "/admin/audit?action=api_token.");
    const entries = admin.getByTestId("audit-entry");
    await expect(entries.first()).toContainText("api_token.revoked");
    await expect(entries.nth(1)).toContainText("api_token.created");
    await open(admin, "/admin/audit?action=payment.refunded");
    await expect(admin.getByTestId("audit-entry").first()).toContainText(paymentId);
    await shot(admin, "invoices-audit");
  });

  await admin.context().close();
});
