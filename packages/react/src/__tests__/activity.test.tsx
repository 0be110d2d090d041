/**
 * `<Activity mode="hidden">` cleans a component's effects up and re-creates them when it is shown, keeping
 * its state: the hooks treat hide → show as an unmount and a remount. An owned executor is shut down when
 * hidden and its successor rendered while hidden (effects when shown get it); a run is cancelled when hidden and a fresh one starts when shown,
 * whichever executor it runs on. Real React 19, no `act` (notifications delivered as in a browser).
 */
import { AsyncExecutor, type TaskContext } from '@fanout/core';
import { Activity, memo, type ReactNode, useEffect, useState } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { setNotifyFunction, useExecutor, useMap } from '../index.js';
import { sleep } from './test-utils.js';

setNotifyFunction((fn) => fn());
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

let setMode: (mode: 'visible' | 'hidden') => void = () => {};
function Toggle({ children }: { children: ReactNode }) {
  const [mode, set] = useState<'visible' | 'hidden'>('visible');
  setMode = set;
  return <Activity mode={mode}>{children}</Activity>;
}

function mount(child: ReactNode) {
  const container = document.createElement('div');
  const root = createRoot(container);
  flushSync(() => root.render(<Toggle>{child}</Toggle>));
  return {
    container,
    root,
    hideThenShow: async () => {
      flushSync(() => setMode('hidden'));
      await vi.advanceTimersByTimeAsync(20);
      flushSync(() => setMode('visible'));
      await vi.advanceTimersByTimeAsync(0);
    },
  };
}

let api: ReturnType<typeof useExecutor<number>> | undefined;
const Pool = memo(function Pool() {
  api = useExecutor({ maxWorkers: 2 }, { select: (s) => s.succeeded });
  return <p>{api.snapshot}</p>;
});

it('an owned executor shut down while hidden is replaced when shown: submit works, even in a memoized component', async () => {
  const { root, hideThenShow } = mount(<Pool />);
  const first = api?.executor;
  await hideThenShow();
  expect(first?.getSnapshot().shutdown).toBe(true);
  expect(api?.executor).not.toBe(first);
  await expect(api?.submit(async () => 42)).resolves.toBe(42);
  root.unmount();
});

const starts: number[] = [];
const shared = new AsyncExecutor({ maxWorkers: 4 });
function Runner({ onShared }: { onShared: boolean }) {
  const { status, progress } = useMap(
    async (ms: number, { signal }: TaskContext) => {
      starts.push(ms);
      await sleep(ms, signal);
      return ms;
    },
    [20, 300, 300],
    onShared ? { executor: shared } : {},
  );
  return (
    <p>
      {status}:{progress.done}/{progress.total}
    </p>
  );
}

for (const onShared of [false, true]) {
  it(`a run cancelled while hidden starts afresh when shown (${onShared ? 'a shared' : 'an owned'} executor)`, async () => {
    starts.length = 0;
    const { container, root, hideThenShow } = mount(<Runner onShared={onShared} />);
    await vi.advanceTimersByTimeAsync(60); // item 0 done, 1 and 2 running
    expect(container.textContent).toBe('running:1/3');
    await hideThenShow();
    expect(starts).toHaveLength(6); // the new run started every item again
    expect(container.textContent).toBe('running:0/3');
    await vi.advanceTimersByTimeAsync(400);
    expect(container.textContent).toBe('success:3/3');
    expect(starts).toHaveLength(6);
    root.unmount();
  });
}

const seen: boolean[] = []; // shutdown, as each run of the child's effect saw it
function Child({ executor }: { executor: AsyncExecutor }) {
  useEffect(() => {
    seen.push(executor.getSnapshot().shutdown);
    if (!executor.getSnapshot().shutdown) void executor.submit(() => 1);
  }, [executor]);
  return null;
}
const Parent = memo(function Parent() {
  return <Child executor={useExecutor({ maxWorkers: 2 }).executor} />;
});

it("a child's effect in the showing commit is handed the new executor, not the one shut down while hidden", async () => {
  const { root, hideThenShow } = mount(<Parent />);
  await hideThenShow();
  expect(seen).not.toContain(true);
  expect(seen.length).toBeGreaterThanOrEqual(2);
  root.unmount();
});
