// Browser helpers for scenario 6 (scenarios/react.mjs): find Chromium, load Playwright, build the
// demo's bench page, serve it, open it. Bundled into .out/react.mjs by run.mjs like the rest of a
// scenario; nothing here is bundled from Playwright or Vite: both are loaded at run time from where
// the repository installs them (Playwright from the root node_modules, Vite from apps/demo's).
//
// Never downloads a browser: Chromium comes from $CHROMIUM_PATH, the path that
// `node scripts/ensure-chromium.mjs` caches in node_modules/.cache/fanout-chromium-path,
// /usr/bin/chromium or /usr/bin/chromium-browser. When none exists the scenario is skipped.

import { spawn } from 'node:child_process';
import { accessSync, constants, createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS } from '../scripts/chromium-args.mjs';

// bench/, whether this file runs as is (bench/browser.mjs) or bundled into bench/.out/react.mjs.
const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = basename(HERE) === '.out' ? dirname(HERE) : HERE;
const ROOT = join(BENCH, '..');
const DEMO = join(ROOT, 'apps', 'demo');
/** Where the scenario builds the demo (not apps/demo/dist, which the e2e tests rebuild and empty concurrently). */
export const DEMO_OUT = join(BENCH, '.out', 'react-demo');

export { CHROMIUM_ARGS };

export const NO_CHROMIUM = 'no Chromium (run node scripts/ensure-chromium.mjs)';

const isExecutable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The Chromium to launch, or undefined. Same order as playwright.config.ts, plus /usr/bin/chromium-browser. */
export function findChromium() {
  let cached;
  try {
    cached = readFileSync(join(ROOT, 'node_modules', '.cache', 'fanout-chromium-path'), 'utf8').trim() || undefined;
  } catch {
    cached = undefined;
  }
  const candidates = [process.env.CHROMIUM_PATH, cached, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path) => path && isExecutable(path));
}

/** Playwright's `chromium` from the root node_modules (`@playwright/test`, else `playwright`), or undefined. */
export function loadPlaywright() {
  const require = createRequire(join(ROOT, 'package.json'));
  for (const name of ['@playwright/test', 'playwright']) {
    try {
      return require(name).chromium;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/**
 * Builds apps/demo (both pages: index.html and bench.html) into DEMO_OUT with the demo's own Vite
 * and config. Always rebuilds: it takes ≈ 1–2 s, less than deciding whether the output is stale
 * (sources of apps/demo, packages/react and packages/core). Resolves to { ok, output }.
 */
export function buildDemo() {
  let vite;
  try {
    const pkg = createRequire(join(DEMO, 'package.json')).resolve('vite/package.json');
    vite = join(dirname(pkg), 'bin', 'vite.js');
  } catch {
    return Promise.resolve({ ok: false, output: 'vite is not installed in apps/demo (run pnpm install)' });
  }
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [vite, 'build', '--outDir', DEMO_OUT, '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: DEMO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', (error) => resolve({ ok: false, output: String(error) }));
    child.on('close', (code) => {
      const ok = code === 0 && existsSync(join(DEMO_OUT, 'bench.html'));
      resolve({ ok, output: output.trim() || (ok ? '' : `vite build exited with ${code} and no bench.html`) });
    });
  });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * A static file server for `dir` on 127.0.0.1 and a free port (never 4173/5173, which the demo's
 * preview and dev servers use). Resolves to { url, close }.
 */
export function serveStatic(dir) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Launches Chromium headless with the repository's flags. */
export function launch(chromium, executablePath) {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
