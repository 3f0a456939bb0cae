import { test as base, expect, Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { fillCheckout } from "./emulator";
import { join } from "node:path";

/** Playwright's `test`, failing any test during which a page broke its Content-Security-Policy.
 * Pages in contexts a test opens itself are covered by the server's `report-uri` log instead
 * (`./paydesk.sh` fails the run when the log has a report). */
export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ context }, use) => {
      const violations: string[] = [];
      await context.exposeBinding("__paydeskCspViolation", ({ page }, text: string) => {
        violations.push(`${page.url()}: ${text}`);
      });
      await context.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => {
          const report = (window as unknown as { __paydeskCspViolation?: (t: string) => void })
            .__paydeskCspViolation;
          report?.(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
        });
      });
      await use(violations);
      expect(violations, violations.join("\n")).toEqual([]);
    },
    { auto: true },
  ],
});

export const ADMIN = { email: "admin@paydesk.test", password: "paydesk-admin" };
export const MEMBER = { email: "ada@paydesk.test", password: "paydesk-member" };

/** Opens a page and waits until the WASM has hydrated it, so clicks reach the app. */
export async function open(page: Page, path: string) {
  const response = await page.goto(path);
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  return response;
}

export async function logIn(page: Page, who: { email: string; password: string }) {
  await open(page, "/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
}

/** The demo's built-in Stripe emulator: its key and URL sit in the demo's data directory,
 * which `./paydesk.sh test` passes in PAYDESK_DEMO_DIR. */
export function demoStripe() {
  const dir = process.env.PAYDESK_DEMO_DIR;
  if (!dir) throw new Error("PAYDESK_DEMO_DIR is not set: run through ./paydesk.sh test");
  return {
    key: readFileSync(join(dir, "stripe-emulator.key"), "utf8").trim(),
    url: readFileSync(join(dir, "stripe-emulator.url"), "utf8").trim(),
  };
}

/** Signs up a new member (a unique email per call) and lands on their billing overview. */
export async function signUp(page: Page, name: string) {
  const email = `${name.toLowerCase().replace(/\W+/g, "-")}-${Date.now()}@example.com`;
  await open(page, "/signup");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct-horse-battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/billing$/);
  return email;
}

export function plan(page: Page, name: string) {
  return page.getByTestId("plan").filter({ has: page.getByRole("heading", { name }) });
}

/** From Plans to a paid Checkout and back on Paydesk's success page. */
export async function subscribe(page: Page, planName: string, card: string) {
  await open(page, "/billing/plans");
  await plan(page, planName).getByRole("button", { name: "Subscribe" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await fillCheckout(page, card);
  await page.getByRole("button", { name: "Subscribe" }).click();
}

/** Saves a German billing address on the member's address page; postal code "1" is one
 * Stripe Tax cannot place. */
export async function saveAddress(page: Page, postalCode: string) {
  await open(page, "/billing/address");
  await page.getByLabel("Street address").fill("1 Unter den Linden");
  await page.getByLabel("City").fill("Berlin");
  await page.getByLabel("Postal code").fill(postalCode);
  await page.getByLabel("Country (two letters, e.g. DE)").fill("DE");
  await page.getByRole("button", { name: "Save address" }).click();
}
