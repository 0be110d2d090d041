import { AsyncExecutor, type ExecutorSnapshot, HttpError, type TaskEvent } from '@fanout/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Board, type BoardSnapshot, type BoardSource } from './board';

function http429(retryAfterMs: number): HttpError {
  return new HttpError({ status: 429, statusText: 'Too Many Requests', url: '/api/items/0', retryAfterMs });
}

/** An executor made of hand-fed events and a hand-set `retrying` count. */
class FakeSource implements BoardSource {
  private readonly eventListeners = new Set<(event: TaskEvent) => void>();
  private readonly listeners = new Set<() => void>();
  private snapshot = { retrying: 0 } as ExecutorSnapshot;

  onEvent = (listener: (event: TaskEvent) => void): (() => void) => {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  };

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ExecutorSnapshot => this.snapshot;

  emit(event: Partial<TaskEvent> & Pick<TaskEvent, 'type' | 'taskId'>): void {
    const full: TaskEvent = { name: undefined, workerId: 0, attempt: 1, at: 0, ...event };
    for (const listener of this.eventListeners) listener(full);
  }

  /** The executor's snapshot changed: `retrying` tasks are in their retry delay now. */
  setRetrying(retrying: number): void {
    this.snapshot = { ...this.snapshot, retrying };
    for (const listener of this.listeners) listener();
  }
}

/** What the panel shows that must agree: amber cells, and "waiting on Retry-After" (a subset of them). */
function retryingCells(view: BoardSnapshot): number {
  return view.states.filter((s) => s === 'retrying').length;
}

describe('Board', () => {
  it('moves a task whose retry delay ended back to queued when the snapshot stops counting it as retrying', () => {
    const source = new FakeSource();
    const board = new Board(2);
    board.attach(source);
    board.bind(10, 0);
    board.bind(11, 1);
    source.emit({ type: 'started', taskId: 10 });
    source.emit({ type: 'started', taskId: 11 });
    // Task 10: 429 with Retry-After 1 s at t = 0; task 11: a 503 at t = 100, retried after 50 ms.
    source.emit({ type: 'retry', taskId: 10, at: 0, delayMs: 1000, error: http429(1000) });
    source.emit({
      type: 'retry',
      taskId: 11,
      at: 100,
      delayMs: 50,
      error: new HttpError({ status: 503, statusText: '', url: '/api/items/1' }),
    });
    source.setRetrying(2);
    let view = board.getSnapshot();
    expect(view.states).toEqual(['retrying', 'retrying']);
    expect(view.waitingOnRetryAfter).toBe(1);

    // t = 150: task 11's delay ended (due first), it waits for a worker; no event says so.
    source.setRetrying(1);
    view = board.getSnapshot();
    expect(view.states).toEqual(['retrying', 'queued']);
    expect(view.waitingOnRetryAfter).toBe(1);

    // t = 1000: task 10's Retry-After is over too.
    source.setRetrying(0);
    view = board.getSnapshot();
    expect(view.states).toEqual(['queued', 'queued']);
    expect(view.waitingOnRetryAfter).toBe(0);
    expect(view.retryAfterWaits).toBe(1); // the history stays

    source.emit({ type: 'started', taskId: 10, attempt: 2 });
    expect(board.getSnapshot().states).toEqual(['running', 'queued']);
  });

  it('notifies its listeners when a retry delay ends, and not for snapshot changes that move nothing', () => {
    const source = new FakeSource();
    const board = new Board(1);
    board.attach(source);
    board.bind(1, 0);
    source.emit({ type: 'started', taskId: 1 });
    source.emit({ type: 'retry', taskId: 1, at: 0, delayMs: 200, error: http429(200) });
    source.setRetrying(1);
    const listener = vi.fn();
    board.subscribe(listener);
    source.setRetrying(1);
    expect(listener).not.toHaveBeenCalled();
    source.setRetrying(0);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('stops reading the snapshot once detached', () => {
    const source = new FakeSource();
    const board = new Board(1);
    const detach = board.attach(source);
    board.bind(1, 0);
    source.emit({ type: 'started', taskId: 1 });
    source.emit({ type: 'retry', taskId: 1, at: 0, delayMs: 200, error: http429(200) });
    detach();
    source.setRetrying(0);
    expect(board.getSnapshot().states).toEqual(['retrying']);
  });

  describe('on a real executor', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it("agrees with the executor's counts after a Retry-After wait, while the task waits for a worker", async () => {
      const executor = new AsyncExecutor({ maxWorkers: 1, retries: 1, retryDelay: 10 });
      const board = new Board(2);
      board.attach(executor);
      // Item 0 gets a 429 asking for 1 s; item 1 then holds the only worker for 5 s.
      const first = executor.submit(async (ctx) => {
        board.bind(ctx.taskId, 0);
        if (ctx.attempt === 1) throw http429(1000);
        return 'ok';
      });
      const second = executor.submit(async (ctx) => {
        board.bind(ctx.taskId, 1);
        await new Promise((resolve) => setTimeout(resolve, 5000));
        return 'ok';
      });
      await vi.advanceTimersByTimeAsync(500);
      let view = board.getSnapshot();
      expect(executor.getSnapshot()).toMatchObject({ retrying: 1, running: 1 });
      expect(view.states).toEqual(['retrying', 'running']);
      expect(view.waitingOnRetryAfter).toBe(1);

      // The Retry-After is over at 1 s: item 0 is queued behind item 1, not retrying any more.
      await vi.advanceTimersByTimeAsync(1000);
      view = board.getSnapshot();
      expect(executor.getSnapshot()).toMatchObject({ retrying: 0, queued: 1, running: 1 });
      expect(view.states).toEqual(['queued', 'running']);
      expect(retryingCells(view)).toBe(executor.getSnapshot().retrying);
      expect(view.waitingOnRetryAfter).toBe(0);

      await vi.advanceTimersByTimeAsync(5000);
      await expect(Promise.all([first, second])).resolves.toEqual(['ok', 'ok']);
      expect(board.getSnapshot().states).toEqual(['succeeded', 'succeeded']);
      await executor.shutdown();
    });
  });
});
