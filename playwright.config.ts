import { existsSync, readFileSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS } from './scripts/chromium-args.mjs';

const PORT = 4173;
/** `pnpm dev` (apps/demo/vite.config.ts). */
const DEV_PORT = 5173;

/** Path written by `node scripts/ensure-chromium.mjs`. */
function cachedChromiumPath(): string | undefined {
  try {
    const path = readFileSync('node_modules/.cache/fanout-chromium-path', 'utf8').trim();
    return path !== '' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/**
 * CHROMIUM_PATH, else the path ensure-chromium found, else /usr/bin/chromium. If none of them
 * exists and PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD is not set, Playwright's own browser is used.
 */
function chromiumPath(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  const found = cachedChromiumPath() ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  if (found) return found;
  return truthy(process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD) ? '/usr/bin/chromium' : undefined;
}

const executablePath = chromiumPath();

const chromium = {
  ...devices['Desktop Chrome'],
  launchOptions: {
    ...(executablePath === undefined ? {} : { executablePath }),
    args: CHROMIUM_ARGS,
  },
};

export default defineConfig({
  testDir: './e2e',
  timeout: 30_000,
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  // Playwright empties outputDir at start: keep it apart from the JSON report above.
  outputDir: 'test-results/e2e-artifacts',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  // The production build for every spec but dev-server.spec.ts, which runs against the README's `pnpm dev`.
  projects: [
    { name: 'chromium', testIgnore: 'dev-server.spec.ts', use: chromium },
    {
      name: 'chromium-dev',
      testMatch: 'dev-server.spec.ts',
      use: { ...chromium, baseURL: `http://127.0.0.1:${DEV_PORT}` },
    },
  ],
  webServer: [
    {
      command: 'npm run build --prefix apps/demo && npm run preview --prefix apps/demo',
      url: `http://127.0.0.1:${PORT}`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      stdout: 'pipe',
    },
    {
      command: 'npm run dev --prefix apps/demo',
      url: `http://127.0.0.1:${DEV_PORT}`,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      stdout: 'pipe',
    },
  ],
});
