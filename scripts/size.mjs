#!/usr/bin/env node
// Bundle-size budgets for @fanout/core and @fanout/react (issue 6), measured the way a browser
// app would ship them: esbuild bundle + minify (ESM, platform browser, target ES2022, tree-shaken,
// export condition `@fanout/source` so the TypeScript sources are measured without a build),
// then gzip at level 9. 1 kB = 1,000 bytes.
//
//   node scripts/size.mjs            check the budgets: prints a table, exits 1 if one is over or cannot be measured
//   node scripts/size.mjs --report   print the table and always exit 0
//   node scripts/size.mjs --peers    also measure p-queue, p-limit, p-map, bottleneck and TanStack Pacer's AsyncQueuer
//   node scripts/size.mjs --json     print the measurements as JSON instead of a table
//
// Budgets: all of @fanout/core ≤ 8 kB; `AsyncExecutor` alone ≤ 5 kB; @fanout/react ≤ 2 kB on top
// of core, i.e. gzip(core + react) − gzip(core), with react, react-dom and @tanstack/react-query
// external. esbuild comes from bench/node_modules (the bench package pins it). A package whose
// source entry does not exist yet is reported as "missing", which fails its budget.
//
// bench/run.mjs imports measureSizes() and sizeTable() to put the same table in bench/RESULTS.md.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { markdownTable } from '../bench/harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, 'bench');
const esbuild = createRequire(join(BENCH, 'package.json'))('esbuild');

const KB = 1000;

/** The workspace packages, resolved to their `@fanout/source` entry (the TypeScript source). */
const WORKSPACE = {
  '@fanout/core': join(ROOT, 'packages/core'),
  '@fanout/react': join(ROOT, 'packages/react'),
};

function sourceEntry(name) {
  const dir = WORKSPACE[name];
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['.']?.['@fanout/source'];
  if (!entry) throw new Error(`${name}: package.json has no "@fanout/source" export`);
  return { file: join(dir, entry), sideEffects: pkg.sideEffects !== false };
}

/** esbuild plugin: @fanout/* → the package's TypeScript source (bench/node_modules has no @fanout/react). */
const workspaceSources = {
  name: 'fanout-workspace-sources',
  setup(build) {
    build.onResolve({ filter: /^@fanout\/(core|react)$/ }, (args) => {
      const { file, sideEffects } = sourceEntry(args.path);
      return { path: file, sideEffects };
    });
  },
};

const REACT_EXTERNALS = ['react', 'react/*', 'react-dom', 'react-dom/*', '@tanstack/react-query'];

/**
 * What is measured. `needs`: the workspace packages that must exist; `minus`: the entry whose gzip
 * size is subtracted (for "on top of core"); `budget` in bytes (min+gzip).
 */
export const ENTRIES = [
  { name: '@fanout/core (everything)', code: "export * from '@fanout/core';", needs: ['@fanout/core'], budget: 8 * KB },
  {
    name: 'AsyncExecutor alone',
    code: "export { AsyncExecutor } from '@fanout/core';",
    needs: ['@fanout/core'],
    budget: 5 * KB,
  },
  {
    name: '@fanout/react on top of core',
    code: "export * from '@fanout/core';\nexport * from '@fanout/react';",
    needs: ['@fanout/core', '@fanout/react'],
    external: REACT_EXTERNALS,
    minus: '@fanout/core (everything)',
    budget: 2 * KB,
  },
];

export const PEERS = [
  { name: 'p-queue (default export)', code: "export { default } from 'p-queue';" },
  { name: 'p-limit', code: "export { default } from 'p-limit';" },
  { name: 'p-map (default export)', code: "export { default } from 'p-map';" },
  { name: 'bottleneck', code: "export { default } from 'bottleneck';" },
  { name: '@tanstack/pacer AsyncQueuer', code: "export { AsyncQueuer } from '@tanstack/pacer';" },
];

/** Bundles + minifies one entry; returns { minified, gzip } in bytes. Throws on a build error. */
async function bundleSize({ code, external = [] }) {
  const result = await esbuild.build({
    stdin: { contents: code, resolveDir: BENCH, loader: 'js', sourcefile: 'size-entry.mjs' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@fanout/source'],
    external,
    legalComments: 'none',
    plugins: [workspaceSources],
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  return { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/**
 * Measures every entry (and the peers with `peers: true`). Each row:
 * { name, status: 'ok' | 'missing' | 'error', minified?, gzip?, reason?, budget?, over?, peer? }.
 * For a `minus` entry, `gzip` is the difference and `minified` too.
 */
export async function measureSizes({ peers = false } = {}) {
  const rows = [];
  for (const entry of [...ENTRIES, ...(peers ? PEERS.map((p) => ({ ...p, peer: true })) : [])]) {
    const row = { name: entry.name, budget: entry.budget, peer: Boolean(entry.peer), minus: Boolean(entry.minus) };
    try {
      const absent = (entry.needs ?? [])
        .map((name) => [name, sourceEntry(name).file])
        .filter(([, file]) => !existsSync(file));
      if (absent.length) {
        Object.assign(row, {
          status: 'missing',
          reason: absent.map(([name, file]) => `${name}: ${file.slice(ROOT.length + 1)} does not exist`).join('; '),
        });
      } else {
        const size = await bundleSize(entry);
        if (entry.minus) {
          const base = rows.find((r) => r.name === entry.minus);
          if (base?.status !== 'ok')
            throw new Error(`cannot subtract “${entry.minus}”: it is ${base?.status ?? 'not measured'}`);
          Object.assign(row, { status: 'ok', minified: size.minified - base.minified, gzip: size.gzip - base.gzip });
        } else {
          Object.assign(row, { status: 'ok', ...size });
        }
      }
    } catch (error) {
      const first = error.errors?.[0];
      const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
      Object.assign(row, { status: 'error', reason: first ? `${first.text}${where}` : String(error.message ?? error) });
    }
    // A budget is met only by a measured size within it.
    if (row.budget !== undefined) row.over = row.status !== 'ok' || row.gzip > row.budget;
    rows.push(row);
  }
  return rows;
}

const kB = (bytes) => `${(bytes / KB).toFixed(2)} kB`;

/** A Markdown table of measureSizes() rows, with footnotes for missing/failed entries. */
export function sizeTable(rows) {
  const notes = [];
  const body = rows.map((r) => {
    let verdict = '';
    if (r.status !== 'ok') {
      notes.push(`${r.name}: ${r.reason}`);
      verdict = `${r.status} [${notes.length}]`;
    } else if (r.budget !== undefined) {
      verdict = r.over ? `❌ over by ${kB(r.gzip - r.budget)}` : '✅';
    } else if (r.peer) {
      verdict = 'peer, for comparison';
    }
    const size = (v) => (r.status === 'ok' ? `${r.minus ? '+' : ''}${kB(v)}` : '–');
    return [r.name, size(r.minified), size(r.gzip), r.budget === undefined ? '' : `≤ ${kB(r.budget)}`, verdict];
  });
  const table = markdownTable(['entry', 'minified', 'min+gzip', 'budget', 'verdict'], body, ['l', 'r', 'r', 'r', 'l']);
  return [table, ...notes.map((n, i) => `[${i + 1}] ${n}`)].join('\n\n');
}

// ------------------------------------------------------------------ CLI

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = new Set(process.argv.slice(2));
  const unknown = [...args].filter((a) => !['--peers', '--report', '--json'].includes(a));
  if (unknown.length) {
    console.error(`size.mjs: unknown option ${unknown.join(' ')} (use --peers, --report, --json)`);
    process.exit(2);
  }
  const rows = await measureSizes({ peers: args.has('--peers') });
  console.log(args.has('--json') ? JSON.stringify(rows, null, 2) : sizeTable(rows));
  const over = rows.filter((r) => r.over);
  if (over.length && !args.has('--report')) {
    console.error(`\nsize budget not met: ${over.map((r) => r.name).join(', ')}`);
    process.exit(1);
  }
}
