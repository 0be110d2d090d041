#!/usr/bin/env node
// fanout benchmark runner — `pnpm bench` (from the repo root or bench/).
//
//   node run.mjs                  full run: every scenario, 5 runs each, writes bench/RESULTS.md
//   node run.mjs --quick          1 run each at ~1/20 of the sizes (CI smoke test, < 60 s);
//                                 prints the tables, writes bench/.out/RESULTS.quick.md
//   node run.mjs --runs 9         runs (fresh processes) per scenario, case and library (default 5)
//   node run.mjs --only overhead  only these scenarios (ids or numbers 1–6, comma-separated: --only 1,react)
//   node run.mjs --uncapped       run the slow peers at full size too (see each scenario's `caps`)
//   node run.mjs --timeout 300    seconds before a child process is killed (default 300, --quick 30)
//   node run.mjs --require-fanout exit 1 when @fanout/core cannot be bundled (default: a warning)
//
// How it works: each scenario file (scenarios/*.mjs) is bundled with esbuild, together with every
// library it compares and @fanout/core's TypeScript source (the `@fanout/source` export
// condition), into .out/<scenario>.mjs. Each (scenario, case, library, run) then runs in a fresh
// `node --expose-gc .out/<scenario>.mjs --lib <library> --params <json>` process, which prints
// its metrics as one JSON line (harness.mjs). Runs are interleaved (run 1 of every library, then
// run 2, …) so that a slow phase of the machine does not land on one library only. A scenario with
// a `prepare` export (scenario 6: check for Chromium, build the demo's bench page) gets one
// `--prepare` child first; if it reports the scenario unavailable, every row says why and it is skipped.
//
// RESULTS.md is only written by a full run (every scenario, not --quick, ≥ 5 runs); any other
// run writes .out/RESULTS.<kind>.md. Hand-written analysis belongs in bench/NOTES.md, which is
// copied into RESULTS.md on every full run.
//
// Exit code: 1 if a bundle fails, a peer or floor row fails in every run, or (with
// --require-fanout) fanout is not available; otherwise 0.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { fmt, fmtRatio, markdownTable, RESULT_MARK, stats } from './harness.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const OUT = join(BENCH, '.out');

/** Scenarios in report order; the number is the one used in the issue (and accepted by --only). */
const SCENARIOS = ['overhead', 'memory', 'streaming', 'timers', 'rate-limit', 'react'];

/** Libraries whose versions the report lists: [package name, where its package.json is]. */
const LIBRARIES = [
  ['@fanout/core', join(ROOT, 'packages/core/package.json')],
  ...['p-limit', 'p-queue', 'p-map', 'bottleneck', '@tanstack/pacer', 'esbuild'].map((name) => [
    name,
    join(BENCH, 'node_modules', name, 'package.json'),
  ]),
];

/** Listed too when scenario 6 (react) runs; its prepare step adds the Chromium version. */
const REACT_LIBRARIES = [
  ['@fanout/react', join(ROOT, 'packages/react/package.json')],
  ['react', join(ROOT, 'apps/demo/node_modules/react/package.json')],
  ['react-dom', join(ROOT, 'apps/demo/node_modules/react-dom/package.json')],
  ['vite', join(ROOT, 'apps/demo/node_modules/vite/package.json')],
  ['@playwright/test', join(ROOT, 'node_modules/@playwright/test/package.json')],
];

// ------------------------------------------------------------------ options

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    uncapped: { type: 'boolean', default: false },
    timeout: { type: 'string' },
    'require-fanout': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (flags.help) {
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  console.log(
    source
      .split('\n')
      .slice(1, 12)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
  process.exit(0);
}

const runs = flags.runs ? Number(flags.runs) : flags.quick ? 1 : 5;
if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be an integer ≥ 1, got ${flags.runs}`);
const timeoutMs = 1000 * (flags.timeout ? Number(flags.timeout) : flags.quick ? 30 : 300);
if (!(timeoutMs > 0)) fail(`--timeout must be a number of seconds, got ${flags.timeout}`);

const selected = flags.only
  ? flags.only.split(',').map((s) => {
      const id = /^\d+$/.test(s) ? SCENARIOS[Number(s) - 1] : s;
      if (!SCENARIOS.includes(id))
        fail(`--only: unknown scenario ${s} (one of ${SCENARIOS.join(', ')} or 1–${SCENARIOS.length})`);
      return id;
    })
  : SCENARIOS;

const fullRun = !flags.quick && !flags.only && runs >= 5;
const reportPath = fullRun ? join(BENCH, 'RESULTS.md') : join(OUT, `RESULTS.${flags.quick ? 'quick' : 'partial'}.md`);
const command =
  `${process.env.npm_lifecycle_event === 'bench' ? 'pnpm bench' : 'node run.mjs'} ${process.argv.slice(2).join(' ')}`.trim();

function fail(message) {
  console.error(`run.mjs: ${message}`);
  process.exit(2);
}

const log = (message) => process.stderr.write(`${message}\n`);

// ------------------------------------------------------------------ bundling

/** esbuild plugin that replaces @fanout/core with an empty module (used when the real one does not build). */
const stubFanout = {
  name: 'stub-fanout',
  setup(build) {
    build.onResolve({ filter: /^@fanout\/core$/ }, () => ({ path: '@fanout/core', namespace: 'fanout-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'fanout-stub' }, () => ({
      contents: 'export const AsyncExecutor = undefined;',
      loader: 'js',
    }));
  },
};

/**
 * Bundles scenarios/<id>.mjs into .out/<id>.mjs. Every library (fanout and peers alike) is bundled
 * in, unminified. Returns { fanoutError }: null when @fanout/core built, else why it did not (the
 * scenario is then bundled with fanout stubbed out and its fanout rows read "not available").
 */
async function bundle(id) {
  const options = {
    stdin: {
      contents: `import * as scenario from './scenarios/${id}.mjs';\nimport { runChild } from './harness.mjs';\nawait runChild(scenario);\n`,
      resolveDir: BENCH,
      sourcefile: `${id}.entry.mjs`,
      loader: 'js',
    },
    outfile: join(OUT, `${id}.mjs`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: false,
    conditions: ['@fanout/source'],
    // CommonJS packages (bottleneck) bundled into ESM may call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __benchCreateRequire } from 'node:module';\nconst require = __benchCreateRequire(import.meta.url);",
    },
    logLevel: 'silent',
  };
  try {
    await esbuild.build(options);
    return { fanoutError: null };
  } catch (error) {
    // Retry without fanout: if that builds, the failure was fanout's (core missing or mid-edit).
    await esbuild.build({ ...options, plugins: [stubFanout] });
    const first = error.errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    return { fanoutError: first ? `${first.text}${where}` : String(error.message ?? error) };
  }
}

// ------------------------------------------------------------------ child processes

/** Runs `node --expose-gc <bundle> ...args`; resolves to the child's parsed result line. */
function runChild(id, args, nodeFlags = [], timeout = timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', ...nodeFlags, join(OUT, `${id}.mjs`), ...args], {
      cwd: BENCH,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (timedOut) return resolve({ ok: false, error: `timeout after ${timeout / 1000} s` });
      if (!line) {
        const tail = stderr.trim().split('\n').slice(-3).join(' ');
        return resolve({ ok: false, error: `exited with ${signal ?? code} without a result: ${tail}` });
      }
      resolve(JSON.parse(line.slice(RESULT_MARK.length)));
    });
  });
}

// ------------------------------------------------------------------ running

/** Runs every case × run × library of one scenario; returns the per-row data used by the report. */
async function runScenario(id) {
  const { fanoutError } = await bundle(id);
  const described = await runChild(id, ['--describe', ...(flags.quick ? ['--quick'] : [])]);
  if (!described.ok) throw new Error(`describe ${id}: ${described.error}`);
  const meta = described.meta;
  if (fanoutError) log(`[${id}] @fanout/core not available — ${fanoutError}`);

  // Once per scenario, before its runs (a build, a browser check): may make the whole scenario unavailable.
  let prepared = {};
  if (meta.prepare) {
    const t0 = performance.now();
    const result = await runChild(id, ['--prepare'], meta.nodeFlags, Math.max(timeoutMs, 180_000));
    if (!result.ok) throw new Error(`prepare ${id}: ${result.error}`);
    prepared = result.prepared;
    const took = `(${((performance.now() - t0) / 1000).toFixed(1)} s)`;
    log(`[${id}] prepare: ${prepared.unavailable ? `not available: ${prepared.unavailable}` : 'ready'} ${took}`);
  }

  // rows[caseName][lib] = { values: { metric: [...] }, errors: [...], unavailable, note }
  // (`unavailable`: why the row did not run, shown as a footnote.)
  const rows = {};
  for (const c of meta.cases) {
    rows[c.name] = {};
    for (const lib of meta.libraries)
      rows[c.name][lib] = {
        values: {},
        errors: [],
        unavailable: prepared.unavailable ? `not available: ${prepared.unavailable}` : null,
        note: null,
      };
  }
  if (prepared.unavailable) {
    return { meta, rows, fanoutError: prepared.fanoutError ? prepared.unavailable : fanoutError, versions: [] };
  }

  for (const c of meta.cases) {
    for (let run = 1; run <= runs; run++) {
      for (const lib of meta.libraries) {
        const row = rows[c.name][lib];
        if (fanoutError && lib.startsWith('fanout')) {
          row.unavailable = `@fanout/core could not be bundled: ${fanoutError}`;
          continue;
        }
        // A library too slow for the full size runs a smaller one (1/20 of it with --quick).
        let params = c.params;
        const cap = meta.caps[lib];
        const capN = cap && (flags.quick ? Math.ceil(cap.n / 20) : cap.n);
        if (cap && !flags.uncapped && params.n > capN) {
          params = { ...params, n: capN };
          row.note = `${fmt(capN)} tasks instead of ${fmt(c.params.n)}: ${cap.why}.`;
        }
        const t0 = performance.now();
        const result = await runChild(id, ['--lib', lib, '--params', JSON.stringify(params)], meta.nodeFlags);
        const took = `(${((performance.now() - t0) / 1000).toFixed(1)} s)`;
        const primary = meta.metrics[0];
        if (result.ok) {
          for (const [key, value] of Object.entries(result.metrics)) {
            if (!row.values[key]) row.values[key] = [];
            row.values[key].push(value);
          }
          log(
            `[${id}] ${c.name} · ${lib} · run ${run}/${runs}: ${fmt(result.metrics[primary.key], primary.digits)} ${primary.label} ${took}`,
          );
        } else {
          row.errors.push(result.error);
          log(`[${id}] ${c.name} · ${lib} · run ${run}/${runs}: FAILED ${took} ${result.error.split('\n')[0]}`);
        }
      }
    }
  }
  return { meta, rows, fanoutError, versions: prepared.versions ?? [] };
}

// ------------------------------------------------------------------ report

/** The median of a row's metric, or NaN. */
const medianOf = (row, key) => (row?.values[key]?.length ? stats(row.values[key]).median : Number.NaN);

/** One Markdown table (plus footnotes) for a scenario. */
function scenarioTable({ meta, rows }) {
  const [primary, ...secondary] = meta.metrics;
  const multiCase = meta.cases.length > 1;
  const headers = [
    ...(multiCase ? ['case'] : []),
    'library',
    `${primary.label} (${primary.better} is better) median`,
    'min',
    'max',
    ...(meta.floor ? ['× floor'] : []),
    ...(meta.fanout ? ['× fanout'] : []),
    ...secondary.map((m) => `${m.label} median (min–max)`),
    'runs',
  ];
  const body = [];
  const notes = [];
  const noteIndex = (text) => {
    let i = notes.indexOf(text);
    if (i === -1) i = notes.push(text) - 1;
    return `[${i + 1}]`;
  };

  for (const c of meta.cases) {
    const floorMedian = medianOf(rows[c.name][meta.floor], primary.key);
    const fanoutMedian = medianOf(rows[c.name][meta.fanout], primary.key);
    for (const lib of meta.libraries) {
      const row = rows[c.name][lib];
      const marks = [];
      if (row.note) marks.push(noteIndex(`${lib}: ${row.note}`));
      if (row.errors.length)
        marks.push(
          noteIndex(
            `${lib} (${c.name}): ${row.errors.length} of ${runs} runs failed — ${row.errors[0].split('\n')[0]}`,
          ),
        );
      const label = `${lib}${marks.length ? ` ${marks.join(' ')}` : ''}`;
      const cells = [...(multiCase ? [c.name] : []), label];
      const values = row.values[primary.key];
      if (!values?.length) {
        const why = row.unavailable ? `not available ${noteIndex(row.unavailable)}` : 'failed';
        cells.push(
          why,
          '–',
          '–',
          ...(meta.floor ? ['–'] : []),
          ...(meta.fanout ? ['–'] : []),
          ...secondary.map(() => '–'),
          '0',
        );
      } else {
        const s = stats(values);
        cells.push(fmt(s.median, primary.digits), fmt(s.min, primary.digits), fmt(s.max, primary.digits));
        if (meta.floor) cells.push(fmtRatio(s.median / floorMedian));
        if (meta.fanout) cells.push(fmtRatio(s.median / fanoutMedian));
        for (const m of secondary) {
          const v = row.values[m.key];
          if (!v?.length) cells.push('–');
          else {
            const t = stats(v);
            cells.push(`${fmt(t.median, m.digits)} (${fmt(t.min, m.digits)}–${fmt(t.max, m.digits)})`);
          }
        }
        cells.push(String(values.length));
      }
      body.push(cells);
    }
  }
  const ratioNote = [
    meta.floor ? `× floor = median / median of “${meta.floor}”` : null,
    meta.fanout ? `× fanout = median / median of “${meta.fanout}”` : null,
  ]
    .filter(Boolean)
    .join('; ');
  const align = headers.map((_, i) => (i < (multiCase ? 2 : 1) ? 'l' : 'r'));
  return [
    markdownTable(headers, body, align),
    ...(ratioNote ? [`${ratioNote} (same case).`] : []),
    ...notes.map((n, i) => `[${i + 1}] ${n}`),
  ].join('\n\n');
}

/**
 * Evaluates a scenario's declarative targets:
 *   { text, case?, lib, metric, op: '<' | '<=' | '>' | '>=', than, worst? }
 * `than` is a number, 'peers' (the best peer's median), { lib, factor } (factor × that row's
 * median) or { param, factor } (factor × the case's parameter). `case` defaults to the first case;
 * `worst: true` judges the least favourable run instead of the median.
 */
function checkTargets({ meta, rows }) {
  const ops = { '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b };
  return meta.targets.map((t) => {
    const theCase = meta.cases.find((c) => c.name === (t.case ?? meta.cases[0].name));
    const caseRows = theCase && rows[theCase.name];
    const values = caseRows?.[t.lib]?.values[t.metric];
    if (!caseRows || !values?.length)
      return { text: t.text, status: '–', detail: caseRows?.[t.lib]?.unavailable ?? 'not measured' };
    const value = t.worst ? (t.op.startsWith('<') ? Math.max(...values) : Math.min(...values)) : stats(values).median;
    let bound;
    let what;
    if (typeof t.than === 'number') {
      bound = t.than;
      what = String(bound);
    } else if (t.than === 'peers') {
      const peers = meta.libraries.filter((l) => !l.startsWith('fanout') && l !== meta.floor);
      const medians = peers.map((l) => [l, medianOf(caseRows[l], t.metric)]).filter(([, m]) => Number.isFinite(m));
      const best = medians.sort((a, b) => (t.op.startsWith('<') ? a[1] - b[1] : b[1] - a[1]))[0];
      if (!best) return { text: t.text, status: '–', detail: 'no peer measured' };
      bound = best[1];
      what = `${best[0]}: ${fmt(bound, 0)}`;
    } else if (t.than.param) {
      bound = theCase.params[t.than.param] * (t.than.factor ?? 1);
      what = `${fmt(bound, 0)} (${t.than.factor && t.than.factor !== 1 ? `${t.than.factor} × ` : ''}${t.than.param})`;
    } else {
      const ref = medianOf(caseRows[t.than.lib], t.metric);
      if (!Number.isFinite(ref)) return { text: t.text, status: '–', detail: `${t.than.lib} not measured` };
      bound = ref * t.than.factor;
      what = `${t.than.factor === 1 ? '' : `${t.than.factor} × `}${t.than.lib} (${fmt(ref, 0)})`;
    }
    const ok = ops[t.op](value, bound);
    const metric = meta.metrics.find((m) => m.key === t.metric);
    return {
      text: t.text,
      status: ok ? '✅' : '❌',
      detail: `${t.worst ? 'worst run' : 'median'} ${fmt(value, metric?.digits ?? 2)}; needs ${t.op} ${what}`,
    };
  });
}

function versionOf(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function gitDescription() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages/core'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return `${sha}${dirty ? ', with uncommitted changes in packages/core' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function sizeSection() {
  try {
    const { measureSizes, sizeTable } = await import('../scripts/size.mjs');
    const sizes = await measureSizes({ peers: true });
    return `Measured by \`node scripts/size.mjs --peers\`: esbuild bundle + minify, then gzip level 9 (1 kB = 1,000 bytes).\n\n${sizeTable(sizes)}`;
  } catch (error) {
    return `scripts/size.mjs failed: ${error.message}`;
  }
}

function header(results) {
  const cpus = os.cpus();
  const fanoutStatus = results.some((r) => r.fanoutError)
    ? `not available in this run (${results.find((r) => r.fanoutError).fanoutError})`
    : `source of packages/core at commit ${gitDescription()}`;
  const libraries = [...LIBRARIES, ...(selected.includes('react') ? REACT_LIBRARIES : [])];
  const versions = [
    ...libraries.map(([name, file]) => [
      name,
      name === '@fanout/core' ? `${versionOf(file)} — ${fanoutStatus}` : versionOf(file),
    ]),
    ...results.flatMap((r) => r.versions ?? []),
  ];
  return [
    '# fanout benchmark results',
    '',
    '<!-- Generated by bench/run.mjs. Do not edit: analysis goes in bench/NOTES.md, which is copied below. -->',
    '',
    `- **Date:** ${new Date().toISOString()}`,
    `- **Command:** \`${command}\` (in \`bench/\`)${flags.quick ? ' — quick mode: 1/20 sizes, indicative only' : ''}`,
    `- **Node:** ${process.version} (${os.platform()} ${os.release()} ${os.arch()})`,
    `- **CPU:** ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} logical cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM`,
    `- **Load average** (1 min) at start / end: ${loadAtStart.toFixed(2)} / ${os.loadavg()[0].toFixed(2)}${
      Math.max(loadAtStart, os.loadavg()[0]) > cpus.length
        ? ` — ⚠ above the ${cpus.length} cores: other work competed for the CPU, so the timings (not the byte counts) are noisy; rerun on an idle machine`
        : ''
    }`,
    `- **Runs:** ${runs} fresh \`node --expose-gc\` processes per scenario, case and library, interleaved; median, min and max over the runs`,
    '',
    markdownTable(['library', 'version'], versions),
    '',
    'Each scenario file (bench/scenarios/) is bundled by esbuild (bundle, ESM, platform node, not minified, export condition `@fanout/source`) together with every library it compares — fanout from its TypeScript source, the peers from bench/node_modules — so every library is loaded the same way. Ratios compare medians.' +
      (selected.includes('react')
        ? ' Scenario 6 is the exception: its Node process only drives Chromium, and the page it measures is built by Vite from apps/demo (see its section).'
        : ''),
  ].join('\n');
}

function report(results, sizes) {
  const parts = [header(results), ''];
  const targets = results.flatMap((r) =>
    checkTargets(r).map((t) => [r.meta.title.split(' — ')[0], t.text, t.status, t.detail]),
  );
  if (targets.length) {
    parts.push('## Targets (issue 6)', '');
    if (flags.quick)
      parts.push('Quick mode: sizes are 1/20 of the real ones, so these checks are indicative only.', '');
    parts.push(markdownTable(['scenario', 'target', 'met', 'measured'], targets, ['l', 'l', 'l', 'l']), '');
  }
  for (const r of results) {
    parts.push(`## ${r.meta.title}`, '', r.meta.description, '', scenarioTable(r), '');
  }
  parts.push('## Bundle size', '', sizes, '');
  const notesFile = join(BENCH, 'NOTES.md');
  if (existsSync(notesFile)) parts.push('## Analysis (bench/NOTES.md)', '', readFileSync(notesFile, 'utf8').trim(), '');
  return parts.join('\n');
}

// ------------------------------------------------------------------ main

mkdirSync(OUT, { recursive: true });
const started = performance.now();
const loadAtStart = os.loadavg()[0];
const results = [];
let failed = false;
for (const id of selected) {
  try {
    const result = await runScenario(id);
    results.push(result);
    console.log(`\n## ${result.meta.title}\n\n${scenarioTable(result)}\n`);
    for (const lib of result.meta.libraries) {
      for (const [caseName, rows] of Object.entries(result.rows)) {
        const row = rows[lib];
        const none = !row.values[result.meta.metrics[0].key]?.length;
        // "not available" (fanout did not bundle, or the scenario's prepare said so) is not a failure.
        if (none && !row.unavailable) {
          log(`[${id}] ${caseName} · ${lib}: every run failed`);
          failed = true;
        }
      }
    }
    if (result.fanoutError && flags['require-fanout']) failed = true;
  } catch (error) {
    log(`[${id}] FAILED: ${error.stack ?? error}`);
    failed = true;
  }
}

const sizes = await sizeSection();
const markdown = report(results, sizes);
writeFileSync(reportPath, `${markdown.trimEnd()}\n`);
console.log(`\n## Bundle size\n\n${sizes}\n`);
for (const r of results) for (const t of checkTargets(r)) console.log(`${t.status} ${t.text} — ${t.detail}`);
console.log(`\nWrote ${reportPath} in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
if (results.some((r) => r.fanoutError)) log('warning: @fanout/core was not available; its rows read "not available".');
process.exit(failed ? 1 : 0);
