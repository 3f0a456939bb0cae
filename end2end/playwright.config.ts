import { defineConfig } from "@playwright/test";

// The server is started by `./paydesk.sh test`, which passes its URL in PAYDESK_URL.
export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  // The console spec moves the demo emulator's clock a month on (a renewal has to fail), which
  // would shift every later date; it runs after everything else.
  projects: [
    { name: "main", testIgnore: /console\.spec\.ts/ },
    { name: "console", testMatch: /console\.spec\.ts/, dependencies: ["main"] },
  ],
  outputDir: "test-results",
  use: {
    baseURL: process.env.PAYDESK_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's chromium: Playwright's own browser download cannot work offline.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
