import { AsyncExecutor } from '@fanout/core';
import { act } from '@testing-library/react';
import { hydrateRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useExecutor } from '../use-executor.js';
import { useMap } from '../use-map.js';
import { App, fn, renderIdleOnServer } from './ssr-app.js';
import { tick } from './test-utils.js';

/** Two owned executors, each given the same signal. */
function OwnedWithSignal({ signal }: { signal: AbortSignal }) {
  const { snapshot } = useExecutor({ maxWorkers: 3, signal });
  const run = useMap(fn, [1, 2], { executor: { signal } });
  return (
    <p>
      {snapshot.maxWorkers} {run.status}
    </p>
  );
}

describe('server rendering', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    fn.mockClear();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('renderToString renders the idle server snapshot and runs nothing', () => {
    renderIdleOnServer();
  });

  it("an owned executor's signal gets no listener on the server (effects never run there to remove one)", () => {
    const controller = new AbortController(); // e.g. one signal for the whole server
    const add = vi.spyOn(controller.signal, 'addEventListener');
    for (let i = 0; i < 5; i++) renderToString(<OwnedWithSignal signal={controller.signal} />);
    expect(add).not.toHaveBeenCalled();
    expect(fn).not.toHaveBeenCalled();
  });

  it('hydrates without a warning, then runs on the client', async () => {
    const html = renderToString(<App executor={new AsyncExecutor({ name: 'ssr', maxWorkers: 3 })} />);
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const error = vi.spyOn(console, 'error');
    const executor = new AsyncExecutor({ name: 'ssr', maxWorkers: 3 });
    let root: Root | undefined;
    await act(async () => {
      root = hydrateRoot(container, <App executor={executor} />, { onRecoverableError: (e) => console.error(e) });
    });
    expect(error).not.toHaveBeenCalled();
    await tick(32);
    expect(container.querySelector('#map')?.textContent).toBe('success 2/2 [30,10]');
    expect(container.querySelector('#completed')?.textContent).toBe('success [1,0]');
    expect(container.querySelector('#pool')?.textContent).toBe('ssr 3 workers, 0 running, 4 submitted');
    expect(fn).toHaveBeenCalledTimes(4);
    act(() => root?.unmount());
    container.remove();
    expect(error).not.toHaveBeenCalled();
  });
});
