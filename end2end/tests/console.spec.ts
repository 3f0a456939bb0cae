import { expect } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { ADMIN, demoStripe, logIn, open, saveAddress, shot, signUp, subscribe, test } from "./helpers";
import { stripe } from "./emulator";

// The admin console against the demo: a member whose renewal fails and whose address Stripe
// Tax cannot place is found by email, warned about, and canceled at period end; the audit log
// shows it. Then the dashboard's charts, and an accessibility scan of every console page.

const DAY = 86_400;

test("an admin finds a past-due member, sees both warnings, cancels at period end and sees it audited", async ({
  browser,
  page,
  request,
}) => {
  const email = await signUp(page, "Petra Pastdue");
  await subscribe(page, "Starter", "4242 4242 4242 4242");
  await expect(page.getByTestId("confirmed")).toBeVisible({ timeout: 20_000 });
  await saveAddress(page, "1");
  await expect(page.getByTestId("address-status")).toContainText("Stripe does not recognise this address.");

  // The card starts failing and a month passes: the renewal fails, the subscription is past due.
  const demo = demoStripe();
  const customers = await stripe(request, "GET", "/customers", { email }, demo);
  const customer = customers.data[0].id;
  const subs = await stripe(request, "GET", "/subscriptions", { customer }, demo);
  const sub = subs.data[0].id;
  const failing = await stripe(
    request,
    "POST",
    "/payment_methods/pm_card_chargeCustomerFail/attach",
    { customer },
    demo,
  );
  await stripe(request, "POST", `/subscriptions/${sub}`, { default_payment_method: failing.id }, demo);
  const advanced = await request.post(`${demo.url}/_emulator/clock/advance`, {
    data: { seconds: 32 * DAY },
    headers: { Authorization: `Bearer ${demo.key}` },
  });
  expect(advanced.ok()).toBe(true);

  const admin = await (await browser.newContext()).newPage();
  await logIn(admin, ADMIN);
  await expect(admin).toHaveURL(/\/admin$/);
  await open(admin, "/admin/members");
  await admin.getByLabel("Search").fill(email);
  await admin.getByRole("button", { name: "Search" }).click();
  await expect(admin.getByTestId("member-row")).toHaveCount(1);
  await admin.getByTestId("member-row").getByRole("link", { name: "Petra Pastdue" }).click();
  await expect(admin.getByRole("heading", { name: "Petra Pastdue" })).toBeVisible();

  // The failed renewal and the address arrive by webhook; the page shows them once they have.
  await expect(async () => {
    await admin.reload();
    await expect(admin.getByTestId("past-due-warning")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(admin.getByTestId("past-due-warning")).toContainText("Payment failed.");
  await expect(admin.getByTestId("tax-warning")).toContainText("Billing address not recognised.");
  await expect(admin.getByTestId("subscription-status")).toHaveText("Past due");
  await shot(admin, "admin-member-past-due");

  await admin.getByRole("button", { name: "Cancel at period end" }).click();
  await expect(admin.getByTestId("action-notice")).toContainText("Subscription set to end on");
  // Stripe's answer is shown at once; the page reads again when the webhook has landed.
  await expect(admin.getByRole("button", { name: "Resume" })).toBeVisible({ timeout: 15_000 });
  await expect(admin.getByTestId("subscription")).toContainText("Ends");

  await open(admin, "/admin/past-due");
  await expect(admin.getByTestId("past-due-row").filter({ hasText: email })).toBeVisible();
  await shot(admin, "admin-past-due");

  await open(admin, `/admin/audit?action=subscription.&target=${sub}`);
  const entry = admin.getByTestId("audit-entry").first();
  await expect(entry).toContainText("subscription.cancel_scheduled");
  await expect(entry).toContainText(ADMIN.email);
  await expect(entry).toContainText(email);
  await shot(admin, "admin-audit-cancel");
});

test("the dashboard draws its charts", async ({ page }) => {
  await logIn(page, ADMIN);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("mrr")).toContainText("$");
  const movements = page.getByTestId("movements-chart");
  await expect(movements.locator("svg rect.bar")).toHaveCount(24);
  await expect(movements.locator(".legend")).toHaveText(/New\s*Canceled/);
  await expect(page.getByTestId("revenue-chart-usd").locator("svg")).toBeVisible();
  await shot(page, "admin-dashboard");
});

// One test per page, so each scan has the whole test timeout to itself however slow the
// machine is (one test scanning fourteen pages once ran past Playwright's 30 s on a cold CI).
const consolePages = [
  "/admin",
  "/admin/members",
  "/admin/subscriptions",
  "/admin/past-due",
  "/admin/products",
  "/admin/invoices",
  "/admin/payments",
  "/admin/events",
  "/admin/api-tokens",
  "/admin/audit",
  "/admin/admins",
  "/admin/settings/stripe",
  "/admin/settings/invoices",
  // Not a path: the first member's page, found from the members list.
  "member page",
];
for (const name of consolePages) {
  test(`console ${name} passes an accessibility scan`, async ({ page }) => {
    await logIn(page, ADMIN);
    await expect(page).toHaveURL(/\/admin$/);
    let path = name;
    if (name === "member page") {
      await open(page, "/admin/members");
      const first = page.getByTestId("member-row").first().getByRole("link");
      path = (await first.getAttribute("href")) ?? "/admin/members";
    }
    await open(page, path);
    await expect(page.locator("main h1")).toBeVisible();
    await shot(page, `console${path.replaceAll("/", "-")}`);
    const scan = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
    const serious = scan.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${path}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    expect(serious, serious.join("\n")).toEqual([]);
  });
}
