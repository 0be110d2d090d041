/**
 * Faults over a real network (issue 7): a fan-out of 1,000 requests through
 * `fetchTask`, with retries, a per-attempt timeout and a rate limit, against a
 * Node HTTP server on 127.0.0.1 (./fault-server.ts) that injects 429s
 * (Retry-After in seconds and as an HTTP date), 500/503, responses that hang
 * past the timeout, bodies that stall past it, connections reset mid-body and
 * slow bodies.
 *
 * Real timers, real sockets, bounded request counts (at most 5 attempts per
 * item). Every attempt carries `x-attempt: <id>:<n>`, so each one the client
 * made is matched with what the server saw of it:
 * - every request ends with a result or its final error, each the outcome of
 *   its last attempt as the server served it (nothing silently dropped);
 * - the server never sees more requests at once than the pool's `maxWorkers`,
 *   nor more than the limiter's `limit` in any window of its `interval`;
 * - every attempt the client abandoned (timeout) while the server was still
 *   answering is seen as aborted by the server, and no other;
 * - `Retry-After` (seconds and HTTP date) is honoured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncExecutor, fetchTask, HttpError, RateLimiter, TimeoutError } from '../index.js';
import {
  FAULTS,
  type Fault,
  type FaultServer,
  type ItemBody,
  type RequestRecord,
  startFaultServer,
} from './fault-server.js';

const REQUESTS = 1_000;
const MAX_WORKERS = 16;
const RATE = { limit: 100, interval: 200 }; // 500 requests/s
const TIMEOUT = 200;
const RETRIES = 4;

/** Deterministic [0, 1) from (id, attempt): the same plan on every run. */
function unit(id: number, attempt: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(attempt + 0x27d4eb2f, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** Per attempt: 62 % fine, 8 % slow but fine, 30 % a fault. */
const MIX: [Fault, number][] = [
  ['ok', 0.62],
  ['slow', 0.08],
  ['retry-after-seconds', 0.02],
  ['retry-after-date', 0.02],
  ['500', 0.05],
  ['503', 0.05],
  ['hang', 0.05],
  ['slow-past-timeout', 0.04],
  ['reset', 0.07],
];

/** A few items fail every attempt, so final errors of each kind are certain. */
function plan(id: string, attempt: number): Fault {
  const i = Number(id);
  if (i % 100 === 99) return '503'; // 10 items → HttpError 503
  if (i % 250 === 7) return 'hang'; // 4 items → TimeoutError
  if (i % 250 === 11) return 'reset'; // 4 items → the fetch's network error
  let u = unit(i, attempt);
  for (const [fault, p] of MIX) {
    if (u < p) return fault;
    u -= p;
  }
  return 'ok';
}

/**
 * The executor's rate limiter, noting when it lets each request go: the time
 * the request carries in `x-sent-at`, so the server can check the rate free of
 * the loopback latency. It is the admission time the limiter's window log
 * records (its own clock, `preciseNow()`), not a clock read after the grant,
 * which a GC pause in between could push later by milliseconds.
 */
let lastGrantAt = 0;
class StampingLimiter extends RateLimiter {
  protected override admitted(t: number): void {
    lastGrantAt = t;
  }
}

type AttemptKind = 'ok' | 'http' | 'timeout' | 'network' | 'other';
interface AttemptLog {
  kind: AttemptKind;
  body?: ItemBody;
  status?: number;
  error?: unknown;
}

describe('network faults: 1,000 requests through fetchTask against a faulty server', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await startFaultServer({ plan, retryAfterSeconds: 1 });
    // Warm up (fetch's first call loads undici; open keep-alive connections); not counted.
    await Promise.all(Array.from({ length: MAX_WORKERS }, () => fetch(`${server.url}/warm`).then((r) => r.text())));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('every request ends with a result or its final error; concurrency, rate and aborts hold on the server', {
    timeout: 20_000,
  }, async () => {
    const executor = new AsyncExecutor({
      name: 'network-faults',
      maxWorkers: MAX_WORKERS,
      rateLimit: new StampingLimiter(RATE),
      retries: RETRIES,
      retryDelay: 5,
      timeout: TIMEOUT,
    });
    const log = new Map<string, AttemptLog>();
    let running = 0;
    let maxRunning = 0;

    const t0 = performance.now();
    const futures = Array.from({ length: REQUESTS }, (_, i) => {
      const id = String(i);
      const url = `${server.url}/item/${id}`;
      return executor.submit(
        async (ctx) => {
          const key = `${id}:${ctx.attempt}`;
          const headers = { 'x-attempt': key, 'x-sent-at': String(lastGrantAt) };
          running++;
          maxRunning = Math.max(maxRunning, running);
          try {
            const body = await fetchTask<ItemBody>(url, { headers })(ctx);
            log.set(key, { kind: 'ok', body });
            return body;
          } catch (error) {
            const timedOut = ctx.signal.aborted && ctx.signal.reason instanceof TimeoutError;
            const kind: AttemptKind = timedOut
              ? 'timeout'
              : error instanceof HttpError
                ? 'http'
                : error instanceof TypeError
                  ? 'network' // undici: "fetch failed" / "terminated"
                  : 'other';
            log.set(key, { kind, error, ...(error instanceof HttpError ? { status: error.status } : {}) });
            throw error;
          } finally {
            running--;
          }
        },
        { name: id },
      );
    });
    const settled = await Promise.allSettled(futures);
    const elapsed = performance.now() - t0;
    // The server reads the close of the last abandoned attempts a moment later.
    const deadline = Date.now() + 2_000;
    while (server.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await executor.shutdown();

    // ---- every attempt the client made, matched with what the server saw of it ---------------
    const records = server.records;
    const byKey = new Map<string, RequestRecord>();
    const problems: string[] = [];
    for (const r of records) {
      if (byKey.has(r.key)) problems.push(`${r.key}: the server saw this attempt twice`);
      byKey.set(r.key, r);
      if (!log.has(r.key)) problems.push(`${r.key}: the server saw an attempt the client never made`);
    }
    const kinds: Record<AttemptKind, number> = { ok: 0, http: 0, timeout: 0, network: 0, other: 0 };
    /** timed-out attempts the server never saw (they were abandoned before reaching it) */
    let timeoutsUnseen = 0;
    /** timed-out attempts whose response the server had already completed */
    let timeoutsAfterComplete = 0;
    for (const [key, a] of log) {
      kinds[a.kind]++;
      const r = byKey.get(key);
      if (a.kind === 'timeout') {
        if (r === undefined) timeoutsUnseen++;
        else if (r.ending !== 'aborted') timeoutsAfterComplete++;
        continue;
      }
      if (r === undefined) {
        problems.push(`${key}: ${a.kind}, but the server never saw it`);
        continue;
      }
      if (a.kind === 'ok') {
        if (a.body?.id !== r.id || a.body.attempt !== r.attempt || r.status !== 200 || r.ending !== 'finished') {
          problems.push(`${key}: got ${JSON.stringify(a.body).slice(0, 30)}, server ${r.fault}/${r.ending}`);
        }
      } else if (a.kind === 'http') {
        if (a.status !== r.status || r.ending !== 'finished')
          problems.push(`${key}: HttpError ${a.status}, server ${r.status}/${r.ending}`);
      } else if (a.kind === 'network') {
        if (r.ending !== 'reset') problems.push(`${key}: network error, server ${r.fault}/${r.ending}`);
      } else {
        problems.push(`${key}: unexpected error ${String(a.error)}`);
      }
    }
    // Retry-After: after a 429 the client read, the next attempt came no earlier than it asked
    let retryAfterChecked = 0;
    const retryAfterViolations: string[] = [];
    for (const r of records) {
      if (r.retryAt === undefined || log.get(r.key)?.status !== 429) continue;
      const next = byKey.get(`${r.id}:${r.attempt + 1}`);
      if (next === undefined) continue;
      retryAfterChecked++;
      // 1 ms of slack: Date.now() counts whole milliseconds on both sides
      if (next.arrivedWall < r.retryAt - 1)
        retryAfterViolations.push(`${next.key}: came ${r.retryAt - next.arrivedWall} ms early (${r.fault})`);
    }
    // aborted requests are seen as aborted by the server, and only abandoned ones
    for (const r of records) {
      const a = log.get(r.key);
      if ((r.fault === 'hang' || r.fault === 'slow-past-timeout') && r.ending !== 'aborted') {
        problems.push(`${r.key}: ${r.fault} ended ${r.ending}, not aborted`);
      }
      if (r.ending === 'aborted' && a?.kind !== 'timeout')
        problems.push(`${r.key}: aborted on the server, but the client saw ${a?.kind}`);
    }

    // ---- every request: a result or its final error, that of its last attempt -----------------
    const results = settled.filter((s) => s.status === 'fulfilled').length;
    const errors = settled.filter((s) => s.status === 'rejected').length;
    const finalErrors: Record<AttemptKind, number> = { ok: 0, http: 0, timeout: 0, network: 0, other: 0 };
    let attempts = 0;
    settled.forEach((s, i) => {
      const future = futures[i]!;
      attempts += future.attempt;
      for (let n = 1; n <= future.attempt; n++)
        if (!log.has(`${i}:${n}`)) problems.push(`${i}:${n}: attempt not logged`);
      const last = log.get(`${i}:${future.attempt}`);
      if (s.status === 'fulfilled') {
        if (last?.kind !== 'ok' || s.value !== last.body) problems.push(`${i}: result is not its last attempt's body`);
        return;
      }
      const kind = last?.kind ?? 'other';
      finalErrors[kind]++;
      if (kind === 'ok') problems.push(`${i}: rejected after a successful attempt`);
      else if (kind !== 'timeout' && s.reason !== last?.error)
        problems.push(`${i}: final error is not its last attempt's error`);
      else if (kind === 'timeout' && !(s.reason instanceof TimeoutError))
        problems.push(`${i}: timed out, rejected with ${String(s.reason)}`);
      // every injected fault is retryable: a final error comes only after the last attempt
      if (future.attempt !== RETRIES + 1) problems.push(`${i}: gave up after ${future.attempt} attempts`);
    });

    // ---- the server's figures -----------------------------------------------------------------
    const byFault = Object.fromEntries(FAULTS.map((f) => [f, records.filter((r) => r.fault === f).length])) as Record<
      Fault,
      number
    >;
    const endings = {
      finished: records.filter((r) => r.ending === 'finished').length,
      aborted: records.filter((r) => r.ending === 'aborted').length,
      reset: records.filter((r) => r.ending === 'reset').length,
      open: records.filter((r) => r.ending === undefined).length,
    };
    // Stamps are the limiter's own admission times; the 0.05 ms only absorbs float rounding.
    const maxGranted = server.maxInWindow(RATE.interval - 0.05, 'sentAt');
    const maxArrived = server.maxInWindow(RATE.interval, 'arrivedAt');
    const latencies = records.map((r) => r.arrivedWall - (r.sentAt as number)).sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
    const snap = executor.getSnapshot();

    console.log(
      [
        `network faults: ${REQUESTS} requests, maxWorkers ${MAX_WORKERS}, rate ${RATE.limit}/${RATE.interval} ms, timeout ${TIMEOUT} ms, retries ${RETRIES}`,
        `  time ${(elapsed / 1000).toFixed(2)} s; client: ${results} results + ${errors} final errors (http ${finalErrors.http}, timeout ${finalErrors.timeout}, network ${finalErrors.network}); ${attempts} attempts: ok ${kinds.ok}, http ${kinds.http}, timeout ${kinds.timeout}, network ${kinds.network}, other ${kinds.other}`,
        `  server: ${records.length} requests; faults: ${FAULTS.map((f) => `${f} ${byFault[f]}`).join(', ')}`,
        `  server endings: finished ${endings.finished}, aborted ${endings.aborted}, reset ${endings.reset}, open ${endings.open}; timeouts not seen by the server ${timeoutsUnseen}, after a complete response ${timeoutsAfterComplete}`,
        `  concurrency: server max ${server.maxInFlight}/${MAX_WORKERS} (raw count at arrival ${server.maxInFlightRaw}); client max running ${maxRunning}`,
        `  rate (limit ${RATE.limit}/${RATE.interval} ms): max ${maxGranted} granted in any ${RATE.interval - 0.05} ms; max ${maxArrived} arrived in any ${RATE.interval} ms (latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms)`,
        `  Retry-After: ${retryAfterChecked} waits checked, ${retryAfterViolations.length} violated`,
      ].join('\n'),
    );

    // nothing silently dropped: counted on both sides
    expect(problems).toEqual([]);
    expect(results + errors).toBe(REQUESTS);
    expect(snap.submitted).toBe(REQUESTS);
    expect([snap.succeeded, snap.failed, snap.cancelled]).toEqual([results, errors, 0]);
    expect(log.size).toBe(attempts);
    expect(records.length).toBe(attempts - timeoutsUnseen);
    // the items planned to fail every attempt (10 × 503, 4 × hang, 4 × reset) failed, after 5 attempts;
    // each kind of final error occurred (on a loaded machine a 503 or a reset may lose the race with the timeout)
    const doomed = futures.filter((_, i) => i % 100 === 99 || i % 250 === 7 || i % 250 === 11);
    expect(doomed.map((f) => [f.state, f.attempt])).toEqual(doomed.map(() => ['failed', RETRIES + 1]));
    expect(finalErrors.http).toBeGreaterThan(0);
    expect(finalErrors.timeout).toBeGreaterThan(0);
    expect(finalErrors.network).toBeGreaterThan(0);
    expect(finalErrors.other).toBe(0);
    // every kind of fault was injected
    for (const f of FAULTS) expect(byFault[f], f).toBeGreaterThan(0);
    // aborted requests are seen as aborted by the server (and every request has ended)
    expect(endings.open).toBe(0);
    expect(endings.aborted).toBe(kinds.timeout - timeoutsUnseen - timeoutsAfterComplete);
    expect(endings.aborted).toBeGreaterThanOrEqual(byFault.hang + byFault['slow-past-timeout']);
    // the server never saw more than the pool's concurrency nor the limiter's rate
    expect(maxRunning).toBeLessThanOrEqual(MAX_WORKERS);
    expect(server.maxInFlight).toBeLessThanOrEqual(MAX_WORKERS);
    expect(maxGranted).toBeLessThanOrEqual(RATE.limit);
    // Retry-After (seconds and HTTP date) was honoured
    expect(retryAfterChecked).toBeGreaterThan(0);
    expect(retryAfterViolations).toEqual([]);
  });
});
