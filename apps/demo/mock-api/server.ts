/**
 * The demo's mock HTTP API, framework-free.
 *
 * `createMockApi(options)` returns a Connect-style `(req, res, next)` middleware plus its
 * state. The Vite plugin (`./plugin.ts`) mounts it on the dev and preview servers; Node
 * tests can mount it on a plain `http.createServer` (see `startMockApiServer`).
 *
 * Endpoints (prefix `/api`, every response `cache-control: no-store`, JSON bodies):
 * - `GET  /api/items/:id` → `{ id, value, servedAt }` after a random delay in
 *   [minDelayMs, maxDelayMs]; `429` + `Retry-After` past the rate (sliding window over the
 *   times requests were accepted); `503` for a `failureRate` share of accepted requests.
 *   A client that closes the connection first is counted as `aborted`.
 * - `GET  /api/stats` → counters, see `MockApiStats`.
 * - `POST /api/reset` with an optional JSON body (a partial `MockApiConfig`) → resets the
 *   counters and the rate window, applies the config, returns the stats.
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockApiConfig {
  /** Requests accepted per `rateInterval` ms (sliding window); beyond that → 429. Integer ≥ 1. */
  rateLimit: number;
  /** Length of the rate window in ms. > 0. */
  rateInterval: number;
  /** Share of accepted requests answered with 503, in [0, 1]. */
  failureRate: number;
  /** Smallest response delay in ms (integer ≥ 0). */
  minDelayMs: number;
  /** Largest response delay in ms (integer ≥ minDelayMs). */
  maxDelayMs: number;
  /** Seed for the PRNG that draws delays and failures; `null` uses `Math.random`. */
  seed: number | null;
}

export type MockApiOptions = Partial<MockApiConfig> & {
  /** Answer 403 to clients that are not on a loopback address. Default `true`. */
  loopbackOnly?: boolean;
};

export interface MockApiStats {
  /** Accepted requests whose response has not been sent yet. */
  inFlight: number;
  /** Highest `inFlight` seen since the last reset. */
  maxInFlight: number;
  /** Every `GET /api/items/:id` since the last reset (ok + rateLimited + failed + aborted + inFlight). */
  total: number;
  /** Answered 200. */
  ok: number;
  /** Answered 429. */
  rateLimited: number;
  /** Answered 503. */
  failed: number;
  /** Accepted, but the client closed the connection before the response was sent. */
  aborted: number;
  /** Most requests accepted (not 429'd) within any sliding window of `windowMs`. */
  maxInWindow: number;
  /** The rate window, = `config.rateInterval`. */
  windowMs: number;
  config: MockApiConfig;
}

export type NextFunction = (err?: unknown) => void;
export type MockApiMiddleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;

export interface MockApi {
  /** Connect-style middleware: handles `/api/*`, calls `next()` for anything else. */
  readonly middleware: MockApiMiddleware;
  /** Plain `http.createServer` handler: like `middleware`, with a 404 for non-API paths. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Current counters (a fresh copy). */
  stats(): MockApiStats;
  /** What `POST /api/reset` does. Throws a `RangeError`/`TypeError` for an invalid config. */
  reset(config?: Partial<MockApiConfig>): MockApiStats;
  /** Current config (a copy). */
  config(): MockApiConfig;
  /** Clears every pending response timer and destroys those connections (test teardown). */
  close(): void;
}

export const DEFAULT_MOCK_API_CONFIG: Readonly<MockApiConfig> = Object.freeze({
  rateLimit: 50,
  rateInterval: 1000,
  failureRate: 0.1,
  minDelayMs: 50,
  maxDelayMs: 400,
  seed: null,
});

/** The longest delay `setTimeout` keeps (2³¹ − 1 ms); a longer one fires at once. */
const MAX_DELAY_MS = 2_147_483_647;

const CONFIG_KEYS = [
  'rateLimit',
  'rateInterval',
  'failureRate',
  'minDelayMs',
  'maxDelayMs',
  'seed',
] as const satisfies readonly (keyof MockApiConfig)[];

/** mulberry32: a small, fast 32-bit seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return typeof value;
}

/** Validates a partial config over `base`; throws a TypeError/RangeError naming the bad key. */
export function resolveConfig(base: Readonly<MockApiConfig>, patch: unknown): MockApiConfig {
  if (patch === undefined || patch === null) return { ...base };
  if (typeof patch !== 'object' || Array.isArray(patch)) {
    throw new TypeError(`config must be an object, got ${describe(patch)}`);
  }
  const input = patch as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new TypeError(`unknown config key ${JSON.stringify(key)} (allowed: ${CONFIG_KEYS.join(', ')})`);
    }
  }
  const out: MockApiConfig = { ...base };
  const num = (key: Exclude<keyof MockApiConfig, 'seed'>): number => {
    const v = input[key];
    if (v === undefined) return base[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new TypeError(`${key} must be a finite number, got ${describe(v)}`);
    }
    return v;
  };
  out.rateLimit = num('rateLimit');
  out.rateInterval = num('rateInterval');
  out.failureRate = num('failureRate');
  out.minDelayMs = num('minDelayMs');
  out.maxDelayMs = num('maxDelayMs');
  if (!Number.isInteger(out.rateLimit) || out.rateLimit < 1) {
    throw new RangeError(`rateLimit must be an integer ≥ 1, got ${out.rateLimit}`);
  }
  if (out.rateInterval <= 0) throw new RangeError(`rateInterval must be > 0, got ${out.rateInterval}`);
  if (out.failureRate < 0 || out.failureRate > 1) {
    throw new RangeError(`failureRate must be in [0, 1], got ${out.failureRate}`);
  }
  if (!Number.isInteger(out.minDelayMs) || out.minDelayMs < 0) {
    throw new RangeError(`minDelayMs must be an integer ≥ 0, got ${out.minDelayMs}`);
  }
  if (!Number.isInteger(out.maxDelayMs) || out.maxDelayMs < out.minDelayMs || out.maxDelayMs > MAX_DELAY_MS) {
    throw new RangeError(
      `maxDelayMs must be an integer from minDelayMs (${out.minDelayMs}) to ${MAX_DELAY_MS}, got ${out.maxDelayMs}`,
    );
  }
  if ('seed' in input) {
    const s = input.seed;
    if (s !== null && s !== undefined && (typeof s !== 'number' || !Number.isInteger(s))) {
      throw new TypeError(`seed must be an integer or null, got ${describe(s)}`);
    }
    out.seed = s ?? null;
  }
  return out;
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return true; // not a TCP socket (e.g. an in-process test double)
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

const MAX_BODY_BYTES = 64 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Read the rest into nothing, so that the 400 goes out on a connection still open.
        req.off('data', onData);
        req.resume();
        reject(new RangeError(`body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

interface Pending {
  timer: ReturnType<typeof setTimeout>;
  res: ServerResponse;
}

export function createMockApi(options: MockApiOptions = {}): MockApi {
  const { loopbackOnly = true, ...configOptions } = options;
  /** The config `POST /api/reset` starts from: keys absent from a reset body take these values. */
  const baseConfig: Readonly<MockApiConfig> = Object.freeze(resolveConfig(DEFAULT_MOCK_API_CONFIG, configOptions));

  let config: MockApiConfig = { ...baseConfig };
  let random: () => number = Math.random;
  /** Bumped by every reset, so requests from before a reset don't touch the new counters. */
  let generation = 0;
  /** Times (performance.now) at which requests were accepted, within the last rateInterval. */
  let accepted: number[] = [];
  const pending = new Set<Pending>();
  let counters = {
    inFlight: 0,
    maxInFlight: 0,
    total: 0,
    ok: 0,
    rateLimited: 0,
    failed: 0,
    aborted: 0,
    maxInWindow: 0,
  };

  const applyConfig = (next: MockApiConfig): void => {
    config = next;
    random = next.seed === null ? Math.random : mulberry32(next.seed);
    generation += 1;
    accepted = [];
    counters = { inFlight: 0, maxInFlight: 0, total: 0, ok: 0, rateLimited: 0, failed: 0, aborted: 0, maxInWindow: 0 };
  };
  applyConfig({ ...baseConfig });

  const stats = (): MockApiStats => ({
    ...counters,
    windowMs: config.rateInterval,
    config: { ...config },
  });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(payload)),
      ...headers,
    });
    res.end(payload);
  };

  const handleItem = (id: string, res: ServerResponse): void => {
    counters.total += 1;
    const now = performance.now();
    const windowStart = now - config.rateInterval;
    // Sliding window (now - rateInterval, now]: forget acceptances that have left it.
    let drop = 0;
    while (drop < accepted.length && (accepted[drop] ?? 0) <= windowStart) drop += 1;
    if (drop > 0) accepted.splice(0, drop);

    if (accepted.length >= config.rateLimit) {
      counters.rateLimited += 1;
      // The window frees a slot when its oldest acceptance leaves it.
      const oldest = accepted[0] ?? now;
      const waitMs = Math.max(0, oldest + config.rateInterval - now);
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
      send(res, 429, { error: 'rate limited', retryAfterMs: Math.ceil(waitMs) }, { 'retry-after': String(retryAfter) });
      return;
    }

    accepted.push(now);
    counters.maxInWindow = Math.max(counters.maxInWindow, accepted.length);
    counters.inFlight += 1;
    counters.maxInFlight = Math.max(counters.maxInFlight, counters.inFlight);

    const span = config.maxDelayMs - config.minDelayMs;
    const delay = config.minDelayMs + Math.floor(random() * (span + 1));
    const fail = random() < config.failureRate;
    const gen = generation;

    const entry: Pending = {
      res,
      timer: setTimeout(() => {
        pending.delete(entry);
        res.off('close', onClose);
        if (gen === generation) {
          counters.inFlight -= 1;
          if (fail) counters.failed += 1;
          else counters.ok += 1;
        }
        if (fail) send(res, 503, { error: 'injected failure', id });
        else send(res, 200, { id, value: `value-${id}`, servedAt: Date.now() });
      }, delay),
    };
    const onClose = (): void => {
      // 'close' before the response was sent: the client went away (abort, reset, timeout).
      if (!pending.delete(entry)) return;
      clearTimeout(entry.timer);
      if (gen === generation) {
        counters.inFlight -= 1;
        counters.aborted += 1;
      }
    };
    pending.add(entry);
    res.on('close', onClose);
  };

  const handleReset = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let patch: unknown;
    try {
      const text = (await readBody(req)).trim();
      patch = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch (error) {
      send(res, 400, { error: `invalid JSON body: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    let next: MockApiConfig;
    try {
      next = resolveConfig(baseConfig, patch);
    } catch (error) {
      send(res, 400, { error: error instanceof Error ? error.message : String(error) });
      return;
    }
    applyConfig(next);
    send(res, 200, stats());
  };

  const middleware: MockApiMiddleware = (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (path !== '/api' && !path.startsWith('/api/')) {
      next();
      return;
    }
    if (loopbackOnly && !isLoopback(req.socket.remoteAddress)) {
      send(res, 403, { error: 'the mock API only answers loopback clients' });
      return;
    }
    const method = req.method ?? 'GET';
    const item = /^\/api\/items\/([^/]+)$/.exec(path);
    if (item) {
      if (method !== 'GET') {
        send(res, 405, { error: 'use GET' }, { allow: 'GET' });
        return;
      }
      let id: string;
      try {
        id = decodeURIComponent(item[1] ?? '');
      } catch {
        send(res, 400, { error: 'malformed id' });
        return;
      }
      handleItem(id, res);
      return;
    }
    if (path === '/api/stats') {
      if (method !== 'GET') send(res, 405, { error: 'use GET' }, { allow: 'GET' });
      else send(res, 200, stats());
      return;
    }
    if (path === '/api/reset') {
      if (method !== 'POST') {
        send(res, 405, { error: 'use POST' }, { allow: 'POST' });
        return;
      }
      handleReset(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { error: String(error) });
        else res.destroy();
      });
      return;
    }
    send(res, 404, { error: `no such endpoint: ${method} ${path}` });
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    middleware(req, res, (err?: unknown) => {
      if (err !== undefined) send(res, 500, { error: String(err) });
      else send(res, 404, { error: 'not found' });
    });
  };

  return {
    middleware,
    handler,
    stats,
    reset: (patch) => {
      applyConfig(resolveConfig(baseConfig, patch));
      return stats();
    },
    config: () => ({ ...config }),
    close: () => {
      for (const entry of pending) {
        clearTimeout(entry.timer);
        entry.res.destroy();
      }
      pending.clear();
    },
  };
}

export interface MockApiServer {
  /** e.g. `http://127.0.0.1:39123` (no trailing slash). */
  readonly url: string;
  readonly api: MockApi;
  readonly server: Server;
  /** Stops pending responses, closes every connection and the server. */
  close(): Promise<void>;
}

/** Starts the mock API on `http://127.0.0.1:<port>` (port 0 = a free port) for Node tests. */
export async function startMockApiServer(options: MockApiOptions = {}, port = 0): Promise<MockApiServer> {
  const api = createMockApi(options);
  const server = createServer(api.handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    api,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        api.close();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
