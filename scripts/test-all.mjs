#!/usr/bin/env node
// Runs every test of the workspace — each package's Vitest suite, then the Playwright e2e suite in
// Chromium — and ends with one line `N passed, M failed` computed from the runners' JSON reports.
// Exit code 0 only if every runner ran and nothing failed.
//
//   pnpm test                 everything
//   pnpm test -- --unit       Vitest suites only
//   pnpm test -- --e2e        Playwright only
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reports = join(root, 'test-results');
const args = new Set(process.argv.slice(2));
const only = args.has('--unit') ? 'unit' : args.has('--e2e') ? 'e2e' : 'all';

/** Packages with a Vitest suite, in dependency order. */
const SUITES = [
  { name: 'core', dir: 'packages/core' },
  { name: 'react', dir: 'packages/react' },
  { name: 'demo', dir: 'apps/demo' },
];

mkdirSync(reports, { recursive: true });
const results = [];

function run(label, command, argv, cwd) {
  console.log(`\n==> ${label}: ${command} ${argv.join(' ')}`);
  const r = spawnSync(command, argv, { cwd, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '1' } });
  return r.status ?? 1;
}

function bin(dir, name) {
  const local = join(root, dir, 'node_modules', '.bin', name);
  return existsSync(local) ? local : join(root, 'node_modules', '.bin', name);
}

if (only !== 'e2e') {
  for (const suite of SUITES) {
    const report = join(reports, `vitest-${suite.name}.json`);
    rmSync(report, { force: true });
    const status = run(
      `unit tests (${suite.name})`,
      bin(suite.dir, 'vitest'),
      ['run', '--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
      join(root, suite.dir),
    );
    results.push({ label: `vitest ${suite.name}`, status, ...readVitest(report) });
  }
}

if (only !== 'unit') {
  const report = join(reports, 'e2e.json');
  rmSync(report, { force: true });
  const found = run('chromium', process.execPath, [join(root, 'scripts', 'ensure-chromium.mjs')], root);
  const status = found === 0 ? run('e2e (playwright, chromium)', bin('.', 'playwright'), ['test'], root) : found;
  results.push({ label: 'playwright e2e', status, ...readPlaywright(report) });
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function readVitest(path) {
  const json = readJson(path);
  if (!json) return { passed: 0, failed: 0, skipped: 0, missing: true };
  return {
    passed: json.numPassedTests ?? 0,
    failed: (json.numFailedTests ?? 0) + (json.numFailedTestSuites ?? 0) - countFailedSuitesWithFailedTests(json),
    skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
  };
}

/** A suite that failed to load has no failed tests of its own: count it once as a failure. */
function countFailedSuitesWithFailedTests(json) {
  return (json.testResults ?? []).filter(
    (file) => file.status === 'failed' && (file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
}

function readPlaywright(path) {
  const json = readJson(path);
  if (!json?.stats) return { passed: 0, failed: 0, skipped: 0, missing: true };
  const s = json.stats;
  return {
    passed: (s.expected ?? 0) + (s.flaky ?? 0),
    failed: s.unexpected ?? 0,
    skipped: s.skipped ?? 0,
    flaky: s.flaky ?? 0,
  };
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
console.log('\n==> summary');
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  const broken = r.status !== 0 || r.missing || r.failed > 0;
  if (broken) ok = false;
  const note = r.missing
    ? ' (no report: the runner did not finish)'
    : r.status !== 0 && r.failed === 0
      ? ` (exit ${r.status})`
      : '';
  const flaky = r.flaky ? `, ${r.flaky} flaky (passed on retry)` : '';
  console.log(`  ${r.label}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${flaky}${note}`);
}
writeFileSync(join(reports, 'summary.json'), `${JSON.stringify({ passed, failed, skipped, ok, results }, null, 2)}\n`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(ok ? 0 : 1);
