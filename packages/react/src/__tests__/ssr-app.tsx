import { AsyncExecutor } from '@fanout/core';
import { type ReactNode, StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import { expect, vi } from 'vitest';
import { ExecutorProvider } from '../context.js';
import { useAsCompleted } from '../use-as-completed.js';
import { useExecutor } from '../use-executor.js';
import { useMap } from '../use-map.js';
import { sleep } from './test-utils.js';

/** The task of every hook on the page below (a spy: the server render must never call it). */
export const fn = vi.fn(async (ms: number) => {
  await sleep(ms);
  return ms;
});

function MapView({ items }: { items: number[] }): ReactNode {
  const { status, progress, results } = useMap(fn, items);
  return (
    <p id="map">
      {status} {progress.done}/{progress.total} [{results.join(',')}]
    </p>
  );
}

function CompletedView({ items }: { items: number[] }): ReactNode {
  const { status, completed } = useAsCompleted(fn, items);
  return (
    <p id="completed">
      {status} [{completed.map((c) => c.index).join(',')}]
    </p>
  );
}

function PoolView(): ReactNode {
  const { snapshot } = useExecutor();
  return (
    <p id="pool">
      {snapshot.name} {snapshot.maxWorkers} workers, {snapshot.running} running, {snapshot.submitted} submitted
    </p>
  );
}

function OwnedPoolView(): ReactNode {
  const { snapshot } = useExecutor({ maxWorkers: 2 });
  return (
    <p id="owned">
      {snapshot.maxWorkers} / {snapshot.workers.length}
    </p>
  );
}

/** A page using every hook, for the server-rendering tests (in jsdom and in Node). */
export function App({ executor }: { executor: AsyncExecutor }): ReactNode {
  return (
    <StrictMode>
      <ExecutorProvider executor={executor}>
        <MapView items={[30, 10]} />
        <CompletedView items={[30, 10]} />
        <PoolView />
        <OwnedPoolView />
      </ExecutorProvider>
    </StrictMode>
  );
}

/** Renders {@link App} to a string and checks every hook shows its idle server snapshot and runs nothing. */
export function renderIdleOnServer(): void {
  const executor = new AsyncExecutor({ name: 'ssr', maxWorkers: 3 });
  const html = renderToString(<App executor={executor} />);
  expect(html).toContain('idle<!-- --> <!-- -->0<!-- -->/<!-- -->2');
  expect(html).toMatch(/id="completed">idle/);
  expect(html).toMatch(/ssr<!-- --> <!-- -->3<!-- --> workers, <!-- -->0<!-- --> running/);
  expect(html).toMatch(/id="owned">2<!-- --> \/ <!-- -->2/);
  expect(fn).not.toHaveBeenCalled();
  expect(executor.getSnapshot().submitted).toBe(0);
  expect(executor.subscriberCount).toBe(0);
}
