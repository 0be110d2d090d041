#!/usr/bin/env node
// The READMEs' code as a user copies it: every ```ts and ```tsx block is written as its own module
// and type-checked, strict, against the packages' built declarations (run after `pnpm build`),
// importing `@fanout/core`, `@fanout/react`, `react` and `@tanstack/react-query` by name through a
// node_modules of links, as an app that installed them would.
//
// A block is a fragment of the reader's app. An HTML comment on the line before its fence says
// what it may assume:
//   <!-- check: prelude=core,app -->   prepend these PRELUDES (below), comma-separated
//   <!-- check: skip (why) -->         not TypeScript (a signature listing, pseudo-code)
// A prelude imports real exports or declares what the reader's own app has (their data, their
// functions); it never declares a name of the library. Each failure prints the README, the line,
// and the TypeScript diagnostic; the exit code is 1 if any block fails.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STRICT_REACT } from './strict-consumer.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'node_modules', '.cache', 'readme-check');
const READMES = ['README.md', 'packages/core/README.md', 'packages/react/README.md', 'apps/demo/README.md'];

/** What a fragment may assume: the reader's import line, their executor, their own app. */
const PRELUDES = {
  // The import a reader's file starts with (the README's first block shows it): real exports only.
  core: `import { AsyncExecutor, batched, batchProcess, fetchTask, gatherWithConcurrency, parallelFilter, parallelMap,
  RateLimiter, retry, Semaphore, throttle, WaitStrategy, withTimeout, zip } from '@fanout/core';`,
  // The executor the section's first block built.
  executor: `declare const executor: import('@fanout/core').AsyncExecutor;`,
  // The reader's own app: its data and its functions, never a name of the library.
  app: `interface User { id: number; name: string }
interface Item { id: number; title: string }
declare const ids: number[], urls: string[], url: string, hosts: string[], file: string, sql: string, rows: User[];
declare const futures: import('@fanout/core').AsyncFuture<User>[];
declare const out: { write(text: string): void }, conn: { close(): void };
declare function load(id: number): Promise<User>;
declare function flakyCall(): Promise<User>;
declare function show(user: User): void;
declare function translate(line: string): Promise<string>;
declare function readLines(file: string): AsyncIterable<string>;
declare function query(sql: string): Promise<unknown[]>;
declare function migrate(): Promise<void>;
declare function render(snapshot: import('@fanout/core').ExecutorSnapshot): void;
declare function log(...values: unknown[]): void;
declare function call(signal: AbortSignal): Promise<User>;
declare function search(text: string): Promise<Item[]>;
declare function insert(row: User): Promise<void>;
// The Utilities block's placeholders: any function, items, predicate, options and thunks.
declare const items: string[], mapOptions: import('@fanout/core').MapOptions;
declare function fn(item: string): Promise<number>;
declare function pred(item: string): Promise<boolean>;
declare function a(): Promise<User>;
declare function b(): Promise<number>;
declare function c(): Promise<string>;`,
};

for (const pkg of ['core', 'react']) {
  if (!existsSync(join(ROOT, `packages/${pkg}/dist/index.d.ts`))) {
    console.error(`✗ packages/${pkg}/dist is not built: run \`pnpm build\` first`);
    process.exit(1);
  }
}
rmSync(DIR, { recursive: true, force: true });
// The packages as an app's node_modules holds them: resolved through their `exports`, to `dist/`.
const REACT_DEPS = join(ROOT, 'packages/react/node_modules');
for (const [name, target] of [
  ['@fanout/core', join(ROOT, 'packages/core')],
  ['@fanout/react', join(ROOT, 'packages/react')],
  ...['react', '@types/react', '@tanstack/react-query'].map((name) => [name, join(REACT_DEPS, name)]),
]) {
  mkdirSync(dirname(join(DIR, 'node_modules', name)), { recursive: true });
  symlinkSync(realpathSync(target), join(DIR, 'node_modules', name), 'junction');
}

/** @type {Map<string, { readme: string, line: number, offset: number }>} block file → where it came from */
const blocks = new Map();
let skipped = 0;
for (const readme of READMES) {
  const lines = readFileSync(join(ROOT, readme), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lang = /^```(tsx?)\s*$/.exec(lines[i])?.[1];
    if (!lang) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${readme}:${i + 1}: the block is never closed`);
    const directive = /^<!-- check: (.*) -->$/.exec(lines[i - 1] ?? '')?.[1] ?? '';
    const names = /prelude=([\w,]+)/.exec(directive)?.[1].split(',') ?? [];
    const unknown = names.find((n) => !(n in PRELUDES));
    if (unknown) throw new Error(`${readme}:${i}: no prelude "${unknown}" (there are: ${Object.keys(PRELUDES)})`);
    const prelude = names.map((n) => PRELUDES[n]).join('\n');
    const preludeLines = prelude ? prelude.split('\n').length : 0;
    if (directive.startsWith('skip')) skipped++;
    else {
      const file = `${readme.replaceAll('/', '_')}_${i + 1}.${lang}`;
      // `export {}`: every block is a module, so its top-level names are its own and `await` works.
      writeFileSync(
        join(DIR, file),
        `${prelude ? `${prelude}\n` : ''}${lines.slice(i + 1, end).join('\n')}\nexport {};\n`,
      );
      blocks.set(file, { readme, line: i + 1, offset: preludeLines });
    }
    i = end;
  }
}
writeFileSync(join(DIR, 'package.json'), '{ "type": "module" }'); // an ES module app: top-level await
writeFileSync(
  join(DIR, 'tsconfig.json'),
  JSON.stringify({ compilerOptions: { ...STRICT_REACT, types: [] }, files: [...blocks.keys()] }),
);

const tsc = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', '.', '--pretty', 'false'], {
  cwd: DIR,
  encoding: 'utf8',
});
const failed = new Set();
for (const line of `${tsc.stdout}${tsc.stderr}`.split('\n').filter(Boolean)) {
  const m = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line);
  const block = m && blocks.get(m[1]);
  if (!block) console.error(line);
  else {
    failed.add(m[1]);
    const at = Number(m[2]) - block.offset;
    const where = at > 0 ? `${block.readme}:${block.line + at}:${m[3]}` : `${block.readme}:${block.line} (prelude)`;
    console.error(`✗ ${where} (block at line ${block.line}): ${m[4]}`);
  }
}
const checked = `${blocks.size} blocks from ${READMES.length} READMEs (${skipped} skipped)`;
if (tsc.status === 0) console.log(`✓ ${checked} type-check against the built declarations`);
else {
  console.error(`✗ ${failed.size} of ${checked} do not type-check`);
  process.exit(1);
}
