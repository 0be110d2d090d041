/**
 * mapIter after shutdown(): an async source that waits for its next item (a job queue, a socket, a watcher:
 * the SIGINT drain the README describes) is not read again, so the drained iterator throws
 * ExecutorShutdownError once its in-flight items are handed over and closes its source, instead of hanging
 * on that read (a review's repro). A sync source is read once more, as CPython's buffered map does.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { AsyncExecutor, ExecutorShutdownError } from '../index.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

it('a drained mapIter over a queue-like async source ends (ExecutorShutdownError) once its items are handed over', async () => {
  const executor = new AsyncExecutor({ maxWorkers: 2 });
  let closed = false;
  // Four jobs are waiting; then the queue waits for more (none comes: the process is being drained).
  async function* jobs() {
    try {
      for (let i = 0; i < 4; i++) yield i;
      await new Promise<never>(() => {});
    } finally {
      closed = true;
    }
  }
  const it = executor.mapIter(
    async (x: number) => {
      await sleep(10);
      return x;
    },
    jobs(),
    { bufferSize: 4 }, // the four jobs are pulled; no pull is under way at the shutdown
  );
  await vi.advanceTimersByTimeAsync(1);
  void executor.shutdown(); // SIGINT
  const got: number[] = [];
  const consumed = (async () => {
    for await (const value of it) got.push(value);
  })().then(
    () => 'ended as if complete',
    (e: unknown) => e,
  );
  await vi.advanceTimersByTimeAsync(1_000);
  expect(got).toEqual([0, 1, 2, 3]); // every job pulled before the shutdown ran and was handed over
  const outcome = await Promise.race([consumed, Promise.resolve('still hanging')]);
  expect(outcome).toBeInstanceOf(ExecutorShutdownError);
  void closed;
});
