/**
 * A real fan-out (issue 3 "Fetch"): 200 `fetchTask` requests through
 * `maxWorkers: 8` and `rateLimit: { limit: 50, interval: 1000 }` against a
 * real HTTP server on 127.0.0.1 that answers some requests with 503, some
 * with 429 + Retry-After, and some slowly. Every result comes back in input
 * order, and the server's own counters show it never had more than 8 requests
 * at once nor more than 50 in any sliding window of the interval.
 *
 * REAL timers (sockets); about 3–4 s, set by the rate: 200 requests plus the
 * retries at 50 per second after a first burst of 50.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AsyncExecutor, fetchTask, type TaskEvent } from '../index.js';
import { maxInWindow } from './test-utils.js';

const N = 200;
const MAX_WORKERS = 8;
const LIMIT = 50;
const INTERVAL = 1000;
/**
 * Real time on a shared machine has jitter, so the windows are checked with
 * measured slack, never with a guessed one:
 * - the server stamps each arrival with its own clock after the request crossed
 *   the socket and waited for the event loop (the server runs in this process):
 *   an arrival lags its start by a latency L_i ≥ 0. If the starts keep ≤ LIMIT in
 *   any INTERVAL, the arrivals keep ≤ LIMIT in any INTERVAL − max L_i. The client
 *   sends its start time (same `performance` clock) so the server can measure L_i.
 * - the executor's `started` events are stamped a moment after the token is taken
 *   (a `Date.now()` tick, or a preemption on a loaded machine): CLIENT_SLACK_MS.
 * The exact, jitter-free version of the rate property runs on fake timers in
 * executor-limits.test.ts.
 */
const CLIENT_SLACK_MS = 10;

interface FanoutServer {
  url: string;
  server: Server;
  stats: { inFlight: number; maxInFlight: number; total: number; ok: number; failed: number; rateLimited: number };
  /** performance.now() at each request's arrival */
  arrivals: number[];
  /** arrival − the client's start (x-started header, same clock): transport and event-loop latency */
  latencies: number[];
  close(): Promise<void>;
}

/** Item behaviour, by id: a few fail once with 503, a few get a 429 first, some are slow. */
function plan(id: number, n: number): { status: number; delay: number; retryAfter?: string } {
  if (id % 41 === 3 && n === 1) return { status: 503, delay: 2 };
  if (id % 67 === 10 && n === 1) return { status: 429, delay: 1, retryAfter: '1' };
  if (id % 13 === 0) return { status: 200, delay: 40 + (id % 5) * 10 };
  return { status: 200, delay: 1 + (id % 7) };
}

async function startServer(): Promise<FanoutServer> {
  const stats = { inFlight: 0, maxInFlight: 0, total: 0, ok: 0, failed: 0, rateLimited: 0 };
  const arrivals: number[] = [];
  const latencies: number[] = [];
  const seen = new Map<number, number>();
  const server = createServer((req, res) => {
    const match = /^\/items\/(\d+)$/.exec(req.url ?? '');
    if (!match) {
      res.writeHead(204).end(); // warm-up
      return;
    }
    const at = performance.now();
    arrivals.push(at);
    latencies.push(at - Number(req.headers['x-started']));
    stats.total++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const id = Number(match[1]);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    const { status, delay, retryAfter } = plan(id, n);
    setTimeout(() => {
      stats.inFlight--;
      if (status === 200) stats.ok++;
      else if (status === 429) stats.rateLimited++;
      else stats.failed++;
      const body = JSON.stringify(status === 200 ? { id, attempt: n } : { error: status });
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}),
      });
      res.end(body);
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    stats,
    arrivals,
    latencies,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

let srv: FanoutServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.close();
});

it('200 rate-limited, retried requests through 8 workers: results in order, the server never overwhelmed', {
  timeout: 20_000,
}, async () => {
  await using executor = new AsyncExecutor({
    maxWorkers: MAX_WORKERS,
    rateLimit: { limit: LIMIT, interval: INTERVAL },
  });
  const starts: number[] = [];
  const retries: TaskEvent[] = [];
  let maxRunning = 0;
  executor.onEvent((e) => {
    if (e.type === 'started') starts.push(e.at);
    if (e.type === 'retry') retries.push(e);
  });
  executor.subscribe(() => {
    maxRunning = Math.max(maxRunning, executor.getSnapshot().running);
  });

  // open the connections first, so the first requests don't pay for connecting
  await Promise.all(
    Array.from({ length: MAX_WORKERS }, () => fetch(`${srv.url}/warm-up`).then((r) => r.arrayBuffer())),
  );

  const ids = Array.from({ length: N }, (_, i) => i);
  const results = await executor.map(
    (id: number, ctx) =>
      fetchTask<{ id: number; attempt: number }>(`${srv.url}/items/${id}`, {
        headers: { 'x-started': String(performance.now()) },
      })(ctx),
    ids,
    { retries: 3, retryDelay: 5 },
  );

  // every result, in input order
  expect(results.map((r) => r.id)).toEqual(ids);
  const retried = ids.filter((id) => plan(id, 1).status !== 200);
  for (const id of ids) expect(results[id]?.attempt).toBe(retried.includes(id) ? 2 : 1);

  // the server's own counters
  const expectedRequests = N + retried.length;
  expect(srv.stats).toMatchObject({ total: expectedRequests, ok: N, inFlight: 0 });
  expect(srv.stats.failed + srv.stats.rateLimited).toBe(retried.length);
  expect(srv.stats.maxInFlight).toBeLessThanOrEqual(MAX_WORKERS);
  expect(srv.stats.maxInFlight).toBeGreaterThan(1); // it really ran in parallel
  const latency = Math.max(...srv.latencies);
  expect(srv.latencies.every((l) => l >= 0)).toBe(true);
  const serverWindow = INTERVAL - Math.ceil(latency) - CLIENT_SLACK_MS;
  expect(
    maxInWindow(srv.arrivals, serverWindow),
    `arrivals in any ${serverWindow} ms (max latency ${latency.toFixed(1)} ms)`,
  ).toBeLessThanOrEqual(LIMIT);

  // the client's view: every attempt took a token
  expect(starts).toHaveLength(expectedRequests);
  expect(maxInWindow(starts, INTERVAL - CLIENT_SLACK_MS)).toBeLessThanOrEqual(LIMIT);
  expect(maxRunning).toBeLessThanOrEqual(MAX_WORKERS);
  expect(retries).toHaveLength(retried.length);
  // a 429 waited at least for its Retry-After (1 s); a 503 only for the short backoff
  for (const e of retries) {
    const status = (e.error as { status: number }).status;
    if (status === 429) expect(e.delayMs).toBe(1000);
    else expect(e.delayMs).toBeLessThanOrEqual(5);
  }
});
