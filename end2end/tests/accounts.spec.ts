import { expect } from "@playwright/test";
import { ADMIN, logIn, MEMBER, open, shot, test } from "./helpers";

test("a member signs up, signs out, logs in and sees the billing area", async ({ page }) => {
  const email = `new-${Date.now()}@example.com`;
  await open(page, "/signup");
  await page.getByLabel("Name").fill("Katherine Johnson");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("orbital-mechanics");
  await page.getByRole("button", { name: "Create account" }).click();

  await expect(page).toHaveURL(/\/billing$/);
  await expect(page.getByRole("heading", { name: "Welcome, Katherine Johnson" })).toBeVisible();
  await expect(page.getByTestId("plan-status")).toHaveText("You have no subscription yet.");
  await expect(page.getByRole("link", { name: "See plans" })).toBeVisible();
  await shot(page, "billing-overview");

  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);

  await logIn(page, { email, password: "orbital-mechanics" });
  await expect(page).toHaveURL(/\/billing$/);
  await expect(page.getByRole("heading", { name: "Welcome, Katherine Johnson" })).toBeVisible();
});

test("sign-up shows what is wrong with the form and keeps the visitor on it", async ({ page }) => {
  await open(page, "/signup");
  await page.getByLabel("Name").fill("Ada Again");
  await page.getByLabel("Email").fill(MEMBER.email);
  await page.getByLabel("Password").fill("long-enough-password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toHaveText(
    "An account with this email address already exists.",
  );
  await expect(page).toHaveURL(/\/signup$/);
  await shot(page, "signup-duplicate");
});

test("an admin logs in and sees the console", async ({ page }) => {
  await logIn(page, ADMIN);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
  await expect(page.getByTestId("active")).toBeVisible();
  await shot(page, "admin-overview");
});

test("a member opening the console is refused", async ({ page }) => {
  await logIn(page, MEMBER);
  await expect(page).toHaveURL(/\/billing$/);
  const response = await page.goto("/admin");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Access refused" })).toBeVisible();
  await shot(page, "member-refused");
});

test("a visitor opening the console is sent to sign in and then back", async ({ page }) => {
  await open(page, "/admin");
  await expect(page).toHaveURL(/\/login\?next=\/admin$/);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
});

test("a wrong password is refused without saying which field was wrong", async ({ page }) => {
  await logIn(page, { email: MEMBER.email, password: "not-the-password" });
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await expect(page).toHaveURL(/\/login$/);
  await shot(page, "login-failed");
});

test("an unknown address shows the not-found page", async ({ page }) => {
  const response = await open(page, "/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

// Each `next` an attacker could put in a sign-in link: tab and backslash tricks, another
// origin, and line breaks that once made the sign-in request panic. Each lands on the
// member's own billing page on this site.
for (const next of [
  "/%09/evil.example",
  "//evil.example",
  "/%5Cevil.example",
  "https://evil.example/",
  "/%0a",
  "/%0d%0a/evil.example",
]) {
  test(`signing in from /login?next=${next} stays on Paydesk`, async ({ page, baseURL }) => {
    await open(page, `/login?next=${next}`);
    await page.getByLabel("Email").fill(MEMBER.email);
    await page.getByLabel("Password").fill(MEMBER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/billing$/);
    expect(new URL(page.url()).origin).toBe(new URL(baseURL ?? "").origin);
    await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  });
}

test("a member signs out everywhere and the other browser is signed out too", async ({ browser, page }) => {
  await logIn(page, MEMBER);
  await expect(page).toHaveURL(/\/billing$/);
  const phone = await (await browser.newContext()).newPage();
  await logIn(phone, MEMBER);
  await expect(phone).toHaveURL(/\/billing$/);

  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await open(phone, "/billing/invoices");
  await expect(phone).toHaveURL(/\/login\?next=\/billing\/invoices$/);
  await shot(phone, "signed-out-everywhere");
});
