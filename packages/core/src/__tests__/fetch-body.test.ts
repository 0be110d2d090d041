/**
 * `fetchTask` with a `fetch` whose response body is not tied to the signal it was given (a stub, a caching
 * wrapper, a Response rebuilt from a stream), on fake timers: an abort while the body is read still ends
 * the call, and an error response whose body stalls still becomes an HttpError, so a timeout or a
 * Retry-After frees the worker for the retry. (SPEC "Utilities": fetchTask; README "Fetch".)
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { AsyncExecutor, fetchTask, HttpError } from '../index.js';

/** A real Response whose body sends a few bytes, then nothing, whatever aborts. */
function stalled(status = 200, headers: Record<string, string> = {}): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"items":['));
    },
  });
  return new Response(body, { status, headers });
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function settled(p: Promise<unknown>): { outcome: unknown } {
  const state: { outcome: unknown } = { outcome: 'pending' };
  p.then(
    () => (state.outcome = 'resolved'),
    (error: unknown) => (state.outcome = error),
  );
  return state;
}

it('aborting the signal while the body is read rejects the call with its reason', async () => {
  vi.stubGlobal('fetch', async () => stalled());
  const controller = new AbortController();
  const call = settled(fetchTask('https://api.test/items')({ signal: controller.signal }));
  await vi.advanceTimersByTimeAsync(10);
  expect(call.outcome).toBe('pending');
  controller.abort(new Error('gone'));
  await vi.advanceTimersByTimeAsync(0);
  expect(call.outcome).toEqual(new Error('gone'));
});

it("an attempt's timeout while the body is read frees the worker: the retry runs", async () => {
  let n = 0;
  vi.stubGlobal('fetch', async () => (++n === 1 ? stalled() : new Response('"ok"')));
  const executor = new AsyncExecutor({ maxWorkers: 1 });
  const future = executor.submit(fetchTask('https://api.test/items'), { timeout: 100, retries: 1, retryDelay: 10 });
  await vi.advanceTimersByTimeAsync(200);
  await expect(future).resolves.toBe('ok');
  expect(n).toBe(2);
});

for (const parse of ['json', 'response'] as const) {
  it(`a 503 whose body stalls is an HttpError with its Retry-After after 1 s, without the body (parse '${parse}')`, async () => {
    vi.stubGlobal('fetch', async () => stalled(503, { 'retry-after': '2' }));
    const call = settled(
      fetchTask('https://api.test/items', undefined, { parse })({ signal: new AbortController().signal }),
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(call.outcome).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(call.outcome).toBeInstanceOf(HttpError);
    expect(call.outcome).toMatchObject({ status: 503, retryAfterMs: 2000, body: undefined });
    expect(vi.getTimerCount()).toBe(0);
  });
}

it('in an executor with retries, a 503 whose body stalls is retried after its Retry-After', async () => {
  let n = 0;
  vi.stubGlobal('fetch', async () => (++n === 1 ? stalled(503, { 'retry-after': '1' }) : new Response('"ok"')));
  const executor = new AsyncExecutor({ maxWorkers: 1 });
  const future = executor.submit(fetchTask('https://api.test/items'), { retries: 2, retryDelay: 10 });
  await vi.advanceTimersByTimeAsync(1999); // 1 s for the body, then 1 s of Retry-After
  expect(n).toBe(1);
  await vi.advanceTimersByTimeAsync(1);
  await expect(future).resolves.toBe('ok');
  expect(n).toBe(2);
});

it('an error body that arrives in time is read, and leaves no timer', async () => {
  vi.stubGlobal('fetch', async () => new Response('{"error":"busy"}', { status: 503 }));
  const call = settled(fetchTask('https://api.test/items')({ signal: new AbortController().signal }));
  await vi.advanceTimersByTimeAsync(0);
  expect(call.outcome).toMatchObject({ status: 503, body: { error: 'busy' } });
  expect(vi.getTimerCount()).toBe(0);
});
