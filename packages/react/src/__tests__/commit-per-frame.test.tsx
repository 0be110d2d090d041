/**
 * SPEC: hooks "re-render at most once per animation frame however fast tasks finish". Every hook's
 * notification due in a frame is delivered in one frame callback: browsers (and fake timers) drain
 * microtasks between rAF callbacks, and React flushes a store update in a microtask, so one callback per
 * hook gave one React commit per hook (1,000 commits in a frame for a board of 1,000 lanes).
 * Real React, real timers faked, no `act` (it would batch the commits itself).
 */
import { AsyncExecutor } from '@fanout/core';
import { Profiler } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { expect, it, vi } from 'vitest';
import { ExecutorProvider, setNotifyFunction, useExecutor, useExecutorContext, useMap } from '../index.js';

setNotifyFunction((fn) => fn());
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;

let open!: () => void;
const gate = new Promise<void>((resolve) => {
  open = resolve;
});
const ids = Array.from({ length: 20 }, (_, i) => i);

/** A map of three items, all waiting for `gate`. */
function Cell({ id }: { id: number }) {
  const { progress } = useMap(
    async (x: number) => {
      await gate;
      return x;
    },
    [id, id + 1, id + 2],
  );
  return <i>{progress.done}</i>;
}

/** The shared executor's succeeded count. */
function Lane() {
  const { snapshot } = useExecutor(useExecutorContext(), { select: (s) => s.succeeded });
  return <b>{snapshot}</b>;
}

it('40 hooks on one provider executor, every task finishing in one tick: one React commit in the next frame', async () => {
  vi.useFakeTimers();
  const executor = new AsyncExecutor({ maxWorkers: 200 });
  let commits = 0;
  const container = document.createElement('div');
  const root = createRoot(container);
  flushSync(() =>
    root.render(
      <Profiler id="board" onRender={() => commits++}>
        <ExecutorProvider executor={executor}>
          {ids.map((id) => (
            <Cell key={`cell${id}`} id={id} />
          ))}
          {ids.map((id) => (
            <Lane key={`lane${id}`} />
          ))}
        </ExecutorProvider>
      </Profiler>,
    ),
  );
  await vi.advanceTimersByTimeAsync(50);
  const before = commits;
  open();
  await vi.advanceTimersByTimeAsync(17); // one frame
  const inFrame = commits - before;
  expect(container.textContent).toBe('3'.repeat(20) + '60'.repeat(20));
  root.unmount();
  vi.useRealTimers();
  expect(inFrame).toBe(1); // one frame callback notifies every hook: React commits them together
});
