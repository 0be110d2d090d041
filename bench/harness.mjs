// Shared benchmark harness.
//
// Two halves, both plain JavaScript with no dependencies:
//
// * Child side (bundled into every scenario, runs inside the fresh
//   `node --expose-gc` process): clock, GC and heap helpers, and `runChild`,
//   which runs one library's adapter once and prints its metrics as JSON.
// * Parent side (imported by run.mjs): statistics and Markdown tables.
//
// A scenario module (bench/scenarios/*.mjs) exports:
//   id, title, description      — names and the Markdown text for RESULTS.md
//   metrics                     — [{ key, label, better: 'lower'|'higher', digits }], the first is the primary one
//   cases({ quick })            — [{ name, params }]: the sizes to run
//   libraries                   — { [name]: async (params) => ({ [metricKey]: number }) }
//   floor, fanout               — the names of the reference rows for the ratio columns (or null)
//   targets (optional)          — declarative targets, checked by run.mjs (see there)
//   caps (optional)             — { [library]: { n, why } }: a smaller size for a library too slow for the full one
//   nodeFlags (optional)        — extra flags for the child `node`
//   prepare (optional)          — async () => ({ unavailable?, fanoutError?, versions? }), run once in its
//                                 own child before the runs: `unavailable` (a reason) skips the scenario
//                                 (its rows read "not available"), `fanoutError: true` counts that as
//                                 fanout being unavailable (--require-fanout), `versions` ([[name, version]])
//                                 go into the report's version table

import { writeSync } from 'node:fs';

// ---------------------------------------------------------------- child side

/** Milliseconds, sub-millisecond resolution. */
export const now = () => performance.now();

/** Full GC (twice, so objects freed by finalisation of the first pass go too). */
export function gc() {
  if (typeof globalThis.gc !== 'function') throw new Error('run node with --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

/** Heap in use, in bytes, after a full GC. */
export function heapAfterGc() {
  gc();
  return process.memoryUsage().heapUsed;
}

/** Lets pending microtasks, immediates and 0–1 ms timers run. */
export const settle = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

/** Throws unless `results[i] === expected(i)` for every i < n. */
export function checkResults(results, n, expected = (i) => i) {
  if (!results || results.length !== n) {
    throw new Error(`expected ${n} results, got ${results?.length}`);
  }
  for (let i = 0; i < n; i++) {
    if (results[i] !== expected(i)) throw new Error(`result ${i} is ${results[i]}, expected ${expected(i)}`);
  }
}

/** Marks the line that carries a child's result on its stdout. */
export const RESULT_MARK = '@@bench-result ';

/**
 * Entry point of a scenario bundle. Usage:
 *   node --expose-gc .out/<scenario>.mjs --describe [--quick]
 *   node --expose-gc .out/<scenario>.mjs --prepare
 *   node --expose-gc .out/<scenario>.mjs --lib <name> --params <json>
 * Prints one `RESULT_MARK + JSON` line and exits (0 on success, 1 on failure).
 */
export async function runChild(scenario) {
  const argv = process.argv.slice(2);
  const arg = (name) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  let out;
  if (argv.includes('--describe')) {
    out = {
      ok: true,
      meta: {
        id: scenario.id,
        title: scenario.title,
        description: scenario.description,
        metrics: scenario.metrics,
        cases: scenario.cases({ quick: argv.includes('--quick') }),
        libraries: Object.keys(scenario.libraries),
        floor: scenario.floor ?? null,
        fanout: scenario.fanout ?? null,
        targets: scenario.targets ?? [],
        caps: scenario.caps ?? {},
        nodeFlags: scenario.nodeFlags ?? [],
        prepare: typeof scenario.prepare === 'function',
      },
    };
  } else if (argv.includes('--prepare')) {
    try {
      out = { ok: true, prepared: (await scenario.prepare?.()) ?? {} };
    } catch (error) {
      out = { ok: false, error: String(error?.stack ?? error) };
    }
  } else {
    const lib = arg('--lib');
    const adapter = scenario.libraries[lib];
    try {
      if (!adapter) throw new Error(`unknown library ${lib}`);
      const metrics = await adapter(JSON.parse(arg('--params')));
      out = { ok: true, metrics };
    } catch (error) {
      out = { ok: false, error: String(error?.stack ?? error) };
    }
  }
  // Synchronous write: the process exits right after (timers a library left behind must not keep it alive).
  writeSync(1, `${RESULT_MARK}${JSON.stringify(out)}\n`);
  process.exit(out.ok ? 0 : 1);
}

// --------------------------------------------------------------- parent side

/** { median, min, max, n } of a list of numbers. */
export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n };
  const mid = Math.floor(n / 2);
  const median = n % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[n - 1], n };
}

/** A number for a table: fixed digits, thousands separators. */
export function fmt(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio such as `1.93×`. */
export const fmtRatio = (value) => (Number.isFinite(value) ? `${fmt(value, value >= 100 ? 0 : 2)}×` : '–');

/** Columns a string takes in a monospace font (✅ and ❌ take two), for padding tables. */
const displayWidth = (text) =>
  [...text].reduce((n, ch) => n + (/[\u2705\u274C\u{1F300}-\u{1FAFF}]/u.test(ch) ? 2 : 1), 0);

/**
 * A GitHub-flavoured Markdown table, padded so that columns line up (the layout Biome's Markdown
 * formatter produces). `align`: 'l' or 'r' per column; by default the first is left, the rest right.
 */
export function markdownTable(headers, rows, align = headers.map((_, i) => (i === 0 ? 'l' : 'r'))) {
  const cells = [headers, ...rows].map((row) =>
    row.map((cell) => String(cell).replaceAll('|', '\\|').replaceAll('\n', ' ')),
  );
  const widths = headers.map((_, i) => Math.max(3, ...cells.map((row) => displayWidth(row[i]))));
  const pad = (text, i) => {
    const fill = ' '.repeat(widths[i] - displayWidth(text));
    return align[i] === 'l' ? text + fill : fill + text;
  };
  const line = (row) => `| ${row.map(pad).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (align[i] === 'l' ? `:${'-'.repeat(w - 1)}` : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(cells[0]), sep, ...cells.slice(1).map(line)].join('\n');
}
