#!/usr/bin/env node
// Finds a Chromium for Playwright (installing one if needed), prints its path and writes it to
// node_modules/.cache/fanout-chromium-path, which playwright.config.ts reads.
//
// Order: $CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser, Playwright's cache
// (~/.cache/ms-playwright/chromium-*/chrome-linux*/chrome). If none works: on Debian/Ubuntu,
// `apt-get install chromium` (as root, or through sudo); otherwise `npx playwright install
// chromium` (skipped when PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD is set). Exits 1 if still none.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheFile = join(root, 'node_modules', '.cache', 'fanout-chromium-path');
const HELP = 'No Chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary.';

const log = (message) => process.stderr.write(`ensure-chromium: ${message}\n`);

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when `path --version` runs and names Chromium/Chrome (catches half-installed packages). */
function works(path) {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 && /chrom/i.test(result.stdout);
}

function playwrightCacheCandidates() {
  const base = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
  let entries;
  try {
    entries = readdirSync(base);
  } catch {
    return [];
  }
  return entries
    .filter((name) => /^chromium-\d+$/.test(name))
    .sort((a, b) => Number(b.slice(9)) - Number(a.slice(9))) // newest revision first
    .flatMap((name) => [join(base, name, 'chrome-linux', 'chrome'), join(base, name, 'chrome-linux64', 'chrome')]);
}

function find() {
  const fromEnv = process.env.CHROMIUM_PATH;
  const candidates = [
    ...(fromEnv ? [fromEnv] : []),
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    ...playwrightCacheCandidates(),
  ];
  for (const path of candidates) {
    if (!existsSync(path)) {
      if (path === fromEnv) log(`CHROMIUM_PATH=${fromEnv} does not exist; looking elsewhere.`);
      continue;
    }
    if (isExecutable(path) && works(path)) return path;
    log(`${path} is not a working Chromium; looking elsewhere.`);
  }
  return undefined;
}

function isDebianLike() {
  if (existsSync('/etc/debian_version')) return true;
  try {
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function run(command, args, env = process.env) {
  log(`running: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  return result.status === 0;
}

function installWithApt() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot && !hasCommand('sudo')) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) =>
    isRoot
      ? run('apt-get', args, env)
      : run('sudo', ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], env);
  return apt('update') && apt('install', '-y', 'chromium');
}

function installWithPlaywright() {
  const skip = process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD;
  if (skip && skip !== '0' && skip.toLowerCase() !== 'false') {
    log("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD is set: not downloading Playwright's Chromium.");
    return false;
  }
  return run('npx', ['--no-install', 'playwright', 'install', 'chromium']);
}

let found = find();
if (!found) {
  if (isDebianLike() && hasCommand('apt-get')) {
    if (installWithApt()) found = find();
  }
  if (!found && installWithPlaywright()) found = find();
}
if (!found) {
  process.stderr.write(`${HELP}\n`);
  process.exit(1);
}

mkdirSync(dirname(cacheFile), { recursive: true });
writeFileSync(cacheFile, `${found}\n`);
process.stdout.write(`${found}\n`);
