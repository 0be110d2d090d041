import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockApiOptions, MockApiServer, MockApiStats } from './server.js';
import { createMockApi, DEFAULT_MOCK_API_CONFIG, resolveConfig, startMockApiServer } from './server.js';

interface Item {
  id: string;
  value: string;
  servedAt: number;
}

let server: MockApiServer | undefined;

/** The server the current test started. */
function current(): MockApiServer {
  if (!server) throw new Error('start() the server first');
  return server;
}

async function start(options: MockApiOptions): Promise<void> {
  server = await startMockApiServer(options);
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function getStats(): Promise<MockApiStats> {
  const res = await fetch(`${current().url}/api/stats`);
  expect(res.status).toBe(200);
  return (await res.json()) as MockApiStats;
}

async function waitFor(check: () => Promise<boolean>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met');
}

describe('GET /api/items/:id', () => {
  beforeEach(() => start({ failureRate: 0, minDelayMs: 0, maxDelayMs: 5 }));

  it('answers { id, value, servedAt } with cache-control: no-store', async () => {
    const before = Date.now();
    const res = await fetch(`${current().url}/api/items/42`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Item;
    expect(body.id).toBe('42');
    expect(body.value).toBe('value-42');
    expect(body.servedAt).toBeGreaterThanOrEqual(before);
    const stats = await getStats();
    expect(stats).toMatchObject({ total: 1, ok: 1, failed: 0, rateLimited: 0, aborted: 0, inFlight: 0 });
  });

  it('counts concurrency: maxInFlight, then inFlight back to 0', async () => {
    current().api.reset({ failureRate: 0, minDelayMs: 30, maxDelayMs: 30 });
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => fetch(`${current().url}/api/items/${i}`)));
    expect(all.map((r) => r.status)).toEqual(Array(8).fill(200));
    await Promise.all(all.map((r) => r.json()));
    const stats = await getStats();
    expect(stats.maxInFlight).toBe(8);
    expect(stats.inFlight).toBe(0);
    expect(stats.ok).toBe(8);
  });

  it('404s unknown API paths, 405s wrong methods, leaves other paths to next()', async () => {
    expect((await fetch(`${current().url}/api/nope`)).status).toBe(404);
    expect((await fetch(`${current().url}/api/items/1`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${current().url}/api/reset`)).status).toBe(405);
    expect((await fetch(`${current().url}/index.html`)).status).toBe(404); // handler's fallback
    let nextCalled = false;
    const api = createMockApi();
    api.middleware(
      { url: '/src/main.tsx', method: 'GET', socket: {} } as Parameters<typeof api.middleware>[0],
      {} as Parameters<typeof api.middleware>[1],
      () => {
        nextCalled = true;
      },
    );
    expect(nextCalled).toBe(true);
  });
});

describe('rate limit', () => {
  it('answers 429 with an integer Retry-After ≥ 1 past the rate; maxInWindow never exceeds it', async () => {
    await start({ rateLimit: 5, rateInterval: 1000, failureRate: 0, minDelayMs: 0, maxDelayMs: 2 });
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => fetch(`${current().url}/api/items/${i}`)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    for (const r of responses) {
      if (r.status !== 429) continue;
      const retryAfter = r.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
    await Promise.all(responses.map((r) => r.text()));
    const stats = await getStats();
    expect(stats).toMatchObject({ total: 8, ok: 5, rateLimited: 3, maxInWindow: 5, windowMs: 1000, inFlight: 0 });
  });

  it('frees the window after rateInterval (sliding window over accepted requests)', async () => {
    await start({ rateLimit: 2, rateInterval: 60, failureRate: 0, minDelayMs: 0, maxDelayMs: 0 });
    const burst = async (): Promise<number[]> =>
      Promise.all(
        [1, 2, 3].map(async (i) => {
          const r = await fetch(`${current().url}/api/items/${i}`);
          await r.text();
          return r.status;
        }),
      );
    expect((await burst()).sort()).toEqual([200, 200, 429]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await burst()).sort()).toEqual([200, 200, 429]);
    const stats = await getStats();
    expect(stats).toMatchObject({ ok: 4, rateLimited: 2, maxInWindow: 2 });
  });

  it('Retry-After reflects how long until the window frees', async () => {
    await start({ rateLimit: 1, rateInterval: 5000, failureRate: 0, minDelayMs: 0, maxDelayMs: 0 });
    expect((await fetch(`${current().url}/api/items/a`)).status).toBe(200);
    const limited = await fetch(`${current().url}/api/items/b`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe(5);
    const body = (await limited.json()) as { retryAfterMs: number };
    expect(body.retryAfterMs).toBeGreaterThan(4000);
    expect(body.retryAfterMs).toBeLessThanOrEqual(5000);
  });
});

describe('failures', () => {
  async function run(seed: number): Promise<number[]> {
    current().api.reset({ seed, failureRate: 0.3, rateLimit: 1000, minDelayMs: 0, maxDelayMs: 1 });
    const statuses: number[] = [];
    for (let i = 0; i < 60; i += 1) {
      const r = await fetch(`${current().url}/api/items/${i}`);
      await r.text();
      statuses.push(r.status);
    }
    return statuses;
  }

  it('fails a seeded, reproducible share with 503', async () => {
    await start({});
    const first = await run(7);
    const second = await run(7);
    expect(second).toEqual(first);
    const failed = first.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(30);
    expect(first.every((s) => s === 200 || s === 503)).toBe(true);
    const stats = await getStats();
    expect(stats).toMatchObject({ total: 60, failed, ok: 60 - failed, rateLimited: 0, inFlight: 0 });
    expect(stats.config.seed).toBe(7);
    expect(await run(8)).not.toEqual(first);
  });

  it('failureRate 0 never fails, 1 always fails', async () => {
    await start({ failureRate: 1, minDelayMs: 0, maxDelayMs: 0 });
    const r = await fetch(`${current().url}/api/items/x`);
    expect(r.status).toBe(503);
    expect(r.headers.get('cache-control')).toBe('no-store');
    await r.text();
    current().api.reset({ failureRate: 0 });
    expect((await fetch(`${current().url}/api/items/x`)).status).toBe(200);
  });
});

describe('aborts', () => {
  it('counts a request the client aborts as aborted and returns inFlight to 0', async () => {
    await start({ failureRate: 0, minDelayMs: 2000, maxDelayMs: 2000 });
    const controller = new AbortController();
    const request = fetch(`${current().url}/api/items/slow`, { signal: controller.signal });
    await waitFor(async () => (await getStats()).inFlight === 1);
    controller.abort();
    await expect(request).rejects.toThrow(/abort/i);
    await waitFor(async () => (await getStats()).aborted === 1);
    const stats = await getStats();
    expect(stats).toMatchObject({ inFlight: 0, maxInFlight: 1, aborted: 1, ok: 0, failed: 0, total: 1 });
  });
});

describe('POST /api/reset', () => {
  it('resets counters, applies the config, returns the stats', async () => {
    await start({ failureRate: 0, minDelayMs: 0, maxDelayMs: 0 });
    await (await fetch(`${current().url}/api/items/1`)).text();
    expect((await getStats()).total).toBe(1);

    const res = await fetch(`${current().url}/api/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rateLimit: 3,
        rateInterval: 500,
        failureRate: 0.5,
        minDelayMs: 1,
        maxDelayMs: 2,
        seed: 1,
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const stats = (await res.json()) as MockApiStats;
    expect(stats).toEqual({
      inFlight: 0,
      maxInFlight: 0,
      total: 0,
      ok: 0,
      rateLimited: 0,
      failed: 0,
      aborted: 0,
      maxInWindow: 0,
      windowMs: 500,
      config: { rateLimit: 3, rateInterval: 500, failureRate: 0.5, minDelayMs: 1, maxDelayMs: 2, seed: 1 },
    });

    // No body: back to the options the API was created with.
    const empty = (await (await fetch(`${current().url}/api/reset`, { method: 'POST' })).json()) as MockApiStats;
    expect(empty.config).toEqual({ ...DEFAULT_MOCK_API_CONFIG, failureRate: 0, minDelayMs: 0, maxDelayMs: 0 });
  });

  it('rejects an invalid config with 400 and keeps the old one', async () => {
    await start({});
    for (const body of [
      '{"rateLimit":0}',
      '{"failureRate":2}',
      '{"maxDelayMs":1,"minDelayMs":5}',
      '{"minDelayMs":3000000000,"maxDelayMs":3000000000}', // past setTimeout's range: it would answer at once
      `{"seed":1,${' '.repeat(70_000)}}`, // over 64 KiB: a 400 still, not a dropped connection
      '{"bogus":1}',
      '{',
    ]) {
      const res = await fetch(`${current().url}/api/reset`, { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
    expect((await getStats()).config).toEqual(DEFAULT_MOCK_API_CONFIG);
  });

  it('requests still pending at a reset do not touch the new counters', async () => {
    await start({ failureRate: 0, minDelayMs: 40, maxDelayMs: 40 });
    const request = fetch(`${current().url}/api/items/old`);
    await waitFor(async () => (await getStats()).inFlight === 1);
    current().api.reset({ failureRate: 0, minDelayMs: 0, maxDelayMs: 0 });
    expect((await request).status).toBe(200);
    expect(await getStats()).toMatchObject({ total: 0, ok: 0, inFlight: 0 });
  });
});

describe('resolveConfig', () => {
  it('fills the defaults and validates', () => {
    expect(resolveConfig(DEFAULT_MOCK_API_CONFIG, undefined)).toEqual({
      rateLimit: 50,
      rateInterval: 1000,
      failureRate: 0.1,
      minDelayMs: 50,
      maxDelayMs: 400,
      seed: null,
    });
    expect(() => resolveConfig(DEFAULT_MOCK_API_CONFIG, { rateLimit: Number.NaN })).toThrow(TypeError);
    expect(() => resolveConfig(DEFAULT_MOCK_API_CONFIG, { rateInterval: 0 })).toThrow(RangeError);
    expect(() => resolveConfig(DEFAULT_MOCK_API_CONFIG, { seed: 1.5 })).toThrow(/seed/);
    expect(() => createMockApi({ minDelayMs: -1 })).toThrow(/minDelayMs/);
  });
});
