#!/usr/bin/env node
// The built declarations as a strict consumer sees them: a file that uses both packages' `dist/`
// is type-checked with `skipLibCheck: false`, so an error inside a published .d.ts (a type that
// `stripInternal` removed but another file still imports) fails here, not in a user's project.
// Run after `pnpm build`. The consumer needs TypeScript's `esnext.disposable` lib for `await using`.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STRICT, STRICT_REACT } from './strict-consumer.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'node_modules', '.cache', 'dts-check');
mkdirSync(DIR, { recursive: true });

const core = join(ROOT, 'packages/core/dist/index.js');
const react = join(ROOT, 'packages/react/dist/index.js');
writeFileSync(
  join(DIR, 'consumer.tsx'),
  `import { AsyncExecutor, fetchTask, RateLimiter, Semaphore, type TaskContext } from ${JSON.stringify(core)};
import { useExecutor, useMap, withExecutor } from ${JSON.stringify(react)};

export async function run(ids: number[]): Promise<number> {
  await using executor = new AsyncExecutor({ maxWorkers: 4, rateLimit: new RateLimiter({ limit: 5, interval: 1000 }) });
  const users = await executor.map((id: number, ctx: TaskContext) => fetchTask<{ id: number }>(\`/u/\${id}\`)(ctx), ids, {
    semaphore: new Semaphore(2),
  });
  return users.length;
}

export function View({ ids }: { ids: number[] }) {
  const { snapshot } = useExecutor({ maxWorkers: 2 });
  const { results } = useMap(async (id: number) => id * 2, ids);
  const queryFn = withExecutor(new AsyncExecutor(), async () => 1);
  return \`\${snapshot.running} \${results.length} \${typeof queryFn}\`;
}
`,
);
writeFileSync(
  join(DIR, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      ...STRICT_REACT,
      typeRoots: [join(ROOT, 'packages/react/node_modules/@types')],
    },
    files: ['consumer.tsx'],
  }),
);

// A Node project: core's types must not need the DOM lib (`RequestInfo` is only declared there).
writeFileSync(
  join(DIR, 'node-consumer.ts'),
  `import { AsyncExecutor, fetchTask, withTimeout } from ${JSON.stringify(core)};

export async function run(urls: string[]): Promise<number> {
  await using executor = new AsyncExecutor({ maxWorkers: 4 });
  const pages = await executor.map((url, ctx) => fetchTask(url, undefined, { parse: 'text' })(ctx), urls);
  return (await withTimeout(Promise.resolve(pages), 1000)).length;
}
`,
);
writeFileSync(
  join(DIR, 'tsconfig.node.json'),
  JSON.stringify({
    compilerOptions: {
      ...STRICT,
      exactOptionalPropertyTypes: true,
      lib: ['es2022', 'esnext.disposable'],
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules/@types')],
    },
    files: ['node-consumer.ts'],
  }),
);

const tsc = join(ROOT, 'node_modules/.bin/tsc');
let failed = false;
for (const [config, who] of [
  ['tsconfig.json', 'a strict React consumer'],
  ['tsconfig.node.json', 'a strict Node consumer without the DOM lib'],
]) {
  const result = spawnSync(tsc, ['-p', join(DIR, config)], { stdio: 'inherit' });
  if (result.status === 0) console.log(`✓ the built declarations type-check for ${who} (skipLibCheck: false)`);
  else {
    console.error(`✗ the built declarations do not type-check for ${who} (skipLibCheck: false)`);
    failed = true;
  }
}
// TanStack Query is an optional peer of @fanout/react: its declarations must not import it.
const reactDts = join(ROOT, 'packages/react/dist');
const needQuery = readdirSync(reactDts).filter(
  (f) => f.endsWith('.d.ts') && readFileSync(join(reactDts, f), 'utf8').includes('@tanstack/react-query'),
);
if (needQuery.length > 0) {
  console.error(
    `✗ @fanout/react's declarations import @tanstack/react-query, an optional peer: ${needQuery.join(', ')}`,
  );
  failed = true;
} else console.log("✓ @fanout/react's declarations type-check without @tanstack/react-query installed");
if (failed) process.exit(1);
