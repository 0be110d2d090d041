/**
 * `fetchTask` and `parseRetryAfter` against a real HTTP server on 127.0.0.1
 * (Node's `http` module, port 0), with REAL timers: fake timers don't mix with
 * sockets. Delays are kept to a few ms (one test waits the 1 s its Retry-After asks) and no wall-clock time is asserted.
 * (SPEC "Utilities", "Errors"; issue 3 "Fetch".)
 */
import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  CancelledError,
  fetchTask,
  HttpError,
  parseRetryAfter,
  type TaskContext,
  type TaskEvent,
  type TaskOptions,
  TimeoutError,
} from '../index.js';

interface TestServer {
  url: string;
  server: Server;
  /** requests seen, by path (without the query) */
  hits: Map<string, number>;
  /** paths whose request the client closed before the response */
  aborted: string[];
  /** resolves when a request for `path` arrives */
  received(path: string): Promise<void>;
  /** resolves when the client abandons a request for `path` */
  abandoned(path: string): Promise<void>;
  close(): Promise<void>;
}

type Waiters = Map<string, (() => void)[]>;

function wake(waiters: Waiters, path: string): void {
  for (const resolve of waiters.get(path) ?? []) resolve();
  waiters.delete(path);
}

function waitOn(waiters: Waiters, path: string): Promise<void> {
  return new Promise((resolve) => waiters.set(path, [...(waiters.get(path) ?? []), resolve]));
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    ...headers,
  });
  res.end(payload);
}

async function startServer(): Promise<TestServer> {
  const hits = new Map<string, number>();
  const aborted: string[] = [];
  const receivedWaiters: Waiters = new Map();
  const abortedWaiters: Waiters = new Map();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    wake(receivedWaiters, path);
    const q = url.searchParams;
    const status = /^\/status\/(\d+)$/.exec(path);
    if (path === '/json') {
      json(res, 200, { hello: 'world', n });
      return;
    }
    if (path === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('plain text');
      return;
    }
    if (path === '/echo') {
      json(res, 200, { method: req.method, header: req.headers['x-test'] ?? null, body });
      return;
    }
    if (path === '/empty') {
      res.writeHead(Number(q.get('status') ?? '204'));
      res.end();
      return;
    }
    if (status) {
      const code = Number(status[1]);
      const headers: Record<string, string> = {};
      const retryAfter = q.get('retryAfter');
      if (retryAfter !== null) headers['retry-after'] = retryAfter;
      if (q.get('plain') !== null) {
        res.writeHead(code, { 'content-type': 'text/plain', ...headers });
        res.end(`plain failure ${code}`);
        return;
      }
      json(res, code, { error: `status ${code}` }, headers);
      return;
    }
    if (path.startsWith('/flaky/')) {
      // fails `times` times with `status` (and Retry-After), then answers 200
      const times = Number(q.get('times') ?? '1');
      if (n <= times) {
        const headers: Record<string, string> = {};
        const retryAfter = q.get('retryAfter');
        if (retryAfter !== null) headers['retry-after'] = retryAfter;
        json(res, Number(q.get('status') ?? '503'), { error: 'try again', n }, headers);
        return;
      }
      json(res, 200, body === '' ? { ok: true, n } : { ok: true, n, body });
      return;
    }
    if (path === '/stall') {
      // the headers (`status`, default 200, with a Retry-After of 0 s on a 503) and part of the body, then
      // nothing until the client goes away
      const status = Number(q.get('status') ?? '200');
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 503 ? { 'retry-after': '0' } : {}) });
      res.write('{"partial":');
      res.on('close', () => {
        aborted.push(path);
        wake(abortedWaiters, path);
      });
      return;
    }
    if (path.startsWith('/slow/')) {
      const ms = Number(q.get('ms') ?? '60000');
      const timer = setTimeout(() => {
        timers.delete(timer);
        json(res, 200, { slow: true, ms });
      }, ms);
      timers.add(timer);
      res.on('close', () => {
        if (res.writableEnded) return;
        clearTimeout(timer);
        timers.delete(timer);
        aborted.push(path);
        wake(abortedWaiters, path);
      });
      return;
    }
    json(res, 404, { error: 'not found' });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    hits,
    aborted,
    received: (path) => waitOn(receivedWaiters, path),
    abandoned: (path) => waitOn(abortedWaiters, path),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

let srv: TestServer;
let executor: AsyncExecutor;

beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.close();
});
beforeEach(() => {
  srv.hits.clear();
  srv.aborted.length = 0;
  executor = new AsyncExecutor({ maxWorkers: 4 });
  return () => executor.shutdown({ cancelFutures: true });
});

async function rejection(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 9, 21, 7, 28, 0); // a whole second, as HTTP dates are

  it('reads only real HTTP dates: anything else a lenient Date.parse would accept is unreadable', () => {
    expect(parseRetryAfter('Wednesday, 21-Oct-26 07:28:05 GMT', now)).toBe(5000); // RFC 850
    expect(parseRetryAfter('Wed Oct 21 07:28:05 2026', now)).toBeGreaterThanOrEqual(0); // asctime (local time)
    for (const junk of ['soon 5', 'x 2024', 'tomorrow', 'Oct 2026']) expect(parseRetryAfter(junk, now)).toBeUndefined();
  });

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter(' 3 ')).toBe(3000);
    expect(parseRetryAfter('1')).toBe(1000);
    // not RFC, but sent by some servers: honoured, rounded up to the ms
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter('0.0004')).toBe(1);
  });

  it('reads an HTTP date, counted from now (never negative)', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
    // the obsolete forms RFC 9110 still asks recipients to accept
    expect(parseRetryAfter('Wednesday, 21-Oct-26 07:28:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(0); // asctime (long past)
  });

  it('reads the asctime form as GMT, as every HTTP date is, whatever the local time zone', () => {
    const tz = process.env.TZ;
    try {
      for (const zone of ['America/New_York', 'Asia/Tokyo', 'UTC']) {
        process.env.TZ = zone;
        expect(parseRetryAfter('Thu Jan  1 00:00:10 2026', Date.UTC(2026, 0, 1))).toBe(10_000);
      }
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('is undefined when absent or unreadable', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    // V8's Date.parse would read these as days in 2001 (→ 0 ms, "retry at once")
    for (const junk of ['-5', '+3', '10 20', '1e3', '-1.5']) expect(parseRetryAfter(junk, now)).toBeUndefined();
  });
});

describe('fetchTask', () => {
  it("parses JSON by default, 'text' and 'response' on request", async () => {
    expect(await executor.submit(fetchTask<{ hello: string }>(`${srv.url}/json`))).toMatchObject({ hello: 'world' });
    expect(await executor.submit(fetchTask(`${srv.url}/text`, undefined, { parse: 'text' }))).toBe('plain text');
    const response = await executor.submit(fetchTask(`${srv.url}/json`, undefined, { parse: 'response' }));
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toMatchObject({ hello: 'world' });
  });

  it("with parse 'json', an empty body (204, or an empty 200) is undefined, not a SyntaxError to retry", async () => {
    expect(await executor.submit(fetchTask(`${srv.url}/empty`), { retries: 2 })).toBeUndefined();
    expect(await executor.submit(fetchTask(`${srv.url}/empty?status=200`), { retries: 2 })).toBeUndefined();
    expect(srv.hits.get('/empty')).toBe(2);
    expect(await executor.submit(fetchTask(`${srv.url}/empty`, undefined, { parse: 'text' }))).toBe('');
  });

  it("with parse 'json', a body that is not JSON fails with a SyntaxError naming the URL and status (the parser's error as cause)", async () => {
    const future = executor.submit(fetchTask(`${srv.url}/text`));
    const error = await future.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as Error).message).toMatch(new RegExp(`^${srv.url}/text \\(status 200\\) did not answer JSON: `));
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses an input that is not a URL string, a URL or a Request at once, naming it', () => {
    for (const [input, shown] of [
      [null, 'null'],
      [undefined, 'undefined'],
      [5, '5'],
      [{}, 'an object'],
    ] as const) {
      expect(() => fetchTask(input as never)).toThrow(
        new TypeError(`input must be a URL string, a URL or a Request, got ${shown}`),
      );
    }
  });

  it('refuses an unknown option at once', () => {
    expect(() => fetchTask(`${srv.url}/json`, undefined, { parser: 'text' } as never)).toThrow(
      new TypeError('options has an unknown option "parser"'),
    );
  });

  it('map(fetchTask, urls) and a call without the context fail with a TypeError saying how to call it', async () => {
    const urls = [`${srv.url}/json`];
    // @ts-expect-error the task context is not a RequestInit
    const wrong = executor.map(fetchTask, urls);
    await expect(wrong).rejects.toThrow(
      new TypeError(
        'init must be a RequestInit, got a task context: fetchTask(input) returns the task function; ' +
          'write map((url, ctx) => fetchTask(url)(ctx), urls) or submit(fetchTask(url))',
      ),
    );
    await expect((fetchTask(urls[0] as string) as () => Promise<unknown>)()).rejects.toThrow(
      new TypeError('the task function of fetchTask must be called with the task context, got undefined'),
    );
  });

  it('takes a string, a URL or a Request, and passes init through', async () => {
    expect(await executor.submit(fetchTask(new URL('/json', srv.url)))).toMatchObject({ hello: 'world' });
    expect(await executor.submit(fetchTask(new Request(`${srv.url}/json`)))).toMatchObject({ hello: 'world' });
    const echoed = await executor.submit(
      fetchTask(`${srv.url}/echo`, { method: 'POST', headers: { 'x-test': 'yes' }, body: 'payload' }),
    );
    expect(echoed).toEqual({ method: 'POST', header: 'yes', body: 'payload' });
  });

  it('works as a plain function given a signal', async () => {
    const get = fetchTask(`${srv.url}/text`, undefined, { parse: 'text' });
    expect(await get({ signal: new AbortController().signal })).toBe('plain text');
  });

  it('throws HttpError { status, statusText, url, retryAfterMs, body } on a non-2xx status', async () => {
    const error = await rejection(executor.submit(fetchTask(`${srv.url}/status/503`)));
    expect(error).toBeInstanceOf(HttpError);
    const e = error as HttpError;
    expect(e.name).toBe('HttpError');
    expect(e.status).toBe(503);
    expect(e.statusText).toBe('Service Unavailable');
    expect(e.url).toBe(`${srv.url}/status/503`);
    expect(e.retryAfterMs).toBeUndefined();
    expect(e.body).toEqual({ error: 'status 503' });
    expect(e.message).toBe(`HTTP 503 Service Unavailable from ${srv.url}/status/503`);

    const plain = (await rejection(
      executor.submit(fetchTask(`${srv.url}/status/500?plain`, undefined, { parse: 'text' })),
    )) as HttpError;
    expect(plain.status).toBe(500);
    expect(plain.body).toBe('plain failure 500');
  });

  it('a 429 carries retryAfterMs from Retry-After, in delta-seconds or as an HTTP date', async () => {
    const delta = (await rejection(executor.submit(fetchTask(`${srv.url}/status/429?retryAfter=7`)))) as HttpError;
    expect(delta.status).toBe(429);
    expect(delta.statusText).toBe('Too Many Requests');
    expect(delta.retryAfterMs).toBe(7000);

    const date = new Date(Date.now() + 30_000).toUTCString();
    const dated = (await rejection(
      executor.submit(fetchTask(`${srv.url}/status/429?retryAfter=${encodeURIComponent(date)}`)),
    )) as HttpError;
    expect(dated.retryAfterMs).toBeGreaterThan(0);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(30_000);

    const past = (await rejection(
      executor.submit(
        fetchTask(`${srv.url}/status/429?retryAfter=${encodeURIComponent('Thu, 01 Jan 2015 00:00:00 GMT')}`),
      ),
    )) as HttpError;
    expect(past.retryAfterMs).toBe(0);
  });

  it('a Request with a body is sent again, body included, on a retry', async () => {
    const request = new Request(`${srv.url}/flaky/post?times=1`, { method: 'POST', body: 'payload' });
    const future = executor.submit(fetchTask(request), { retries: 2, retryDelay: 1 });
    expect(await future).toEqual({ ok: true, n: 2, body: 'payload' });
    expect(future.attempt).toBe(2);
    expect(request.bodyUsed).toBe(false); // the caller's Request is left as it was
  });

  it('a 503 is retried by default and the retry succeeds', async () => {
    const result = await executor.submit(fetchTask(`${srv.url}/flaky/a?times=2&status=503`), {
      retries: 3,
      retryDelay: 1,
    });
    expect(result).toEqual({ ok: true, n: 3 });
    expect(srv.hits.get('/flaky/a')).toBe(3);
  });

  it('a 503 whose body stalls is an HttpError (no body) within a second, and is retried: the body does not hold it', async () => {
    const abandoned = srv.abandoned('/stall'); // the request given up on is closed, not left open
    const future = executor.submit(fetchTask(`${srv.url}/stall?status=503`), { retries: 1, retryDelay: 1 });
    const error = (await rejection(future)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect([error.status, error.retryAfterMs, error.body]).toEqual([503, 0, undefined]);
    expect(srv.hits.get('/stall')).toBe(2);
    await abandoned;
  });

  it('a 404 is not retried by default: one request, and the HttpError is the rejection', async () => {
    const error = (await rejection(
      executor.submit(fetchTask(`${srv.url}/status/404`), { retries: 3, retryDelay: 1 }),
    )) as HttpError;
    expect(error.status).toBe(404);
    expect(srv.hits.get('/status/404')).toBe(1);
  });

  it('the executor waits for Retry-After, even past maxRetryDelay', async () => {
    const events: TaskEvent[] = [];
    executor.onEvent((e) => events.push(e));
    const result = await executor.submit(fetchTask(`${srv.url}/flaky/b?times=1&status=429&retryAfter=1`), {
      retries: 1,
      retryDelay: 1,
      maxRetryDelay: 25,
      jitter: 'none',
    });
    expect(result).toEqual({ ok: true, n: 2 });
    const retry = events.find((e) => e.type === 'retry');
    expect((retry?.error as HttpError | undefined)?.retryAfterMs).toBe(1000);
    expect(retry?.delayMs).toBe(1000);

    events.length = 0;
    await executor.submit(fetchTask(`${srv.url}/flaky/c?times=1&status=429&retryAfter=0`), {
      retries: 1,
      retryDelay: 15,
      jitter: 'none',
    });
    expect(events.find((e) => e.type === 'retry')?.delayMs).toBe(15);
  });

  it('the final failure after retries is the last response’s HttpError', async () => {
    const error = (await rejection(
      executor.submit(fetchTask(`${srv.url}/flaky/d?times=5&status=502`), { retries: 2, retryDelay: 1 }),
    )) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(502);
    expect(error.body).toEqual({ error: 'try again', n: 3 });
    expect(srv.hits.get('/flaky/d')).toBe(3);
  });
});

describe('the task’s signal reaches fetch', () => {
  it('cancel() aborts the request: the server sees the client go away', async () => {
    const arrived = srv.received('/slow/cancel');
    const abandoned = srv.abandoned('/slow/cancel');
    const future = executor.submit(fetchTask(`${srv.url}/slow/cancel?ms=30000`));
    await arrived;
    expect(future.cancel()).toBe(true);
    expect(await rejection(future)).toBeInstanceOf(CancelledError);
    await abandoned;
    expect(srv.aborted).toEqual(['/slow/cancel']);
    await executor.onIdle();
    expect(executor.getSnapshot().workers.every((w) => w.taskId === undefined)).toBe(true);
  });

  it('a timeout aborts the request with TimeoutError, and a retry asks again', async () => {
    const abandoned = srv.abandoned('/slow/timeout');
    const error = await rejection(
      executor.submit(fetchTask(`${srv.url}/slow/timeout?ms=30000`), { timeout: 50, retries: 1, retryDelay: 1 }),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toMatch(/timed out after 50 ms \(attempt 2 of 2\)/);
    await abandoned;
    expect(srv.hits.get('/slow/timeout')).toBe(2);
    // both attempts' requests were abandoned (the server hears of the second a moment later)
    await vi.waitFor(() => expect(srv.aborted).toEqual(['/slow/timeout', '/slow/timeout']));
  });

  it('a slow response within the timeout succeeds', async () => {
    expect(await executor.submit(fetchTask(`${srv.url}/slow/ok?ms=20`), { timeout: 5000 })).toEqual({
      slow: true,
      ms: 20,
    });
  });

  it('shutdown({ cancelFutures: true }) aborts requests in flight', async () => {
    const arrived = srv.received('/slow/shutdown');
    const abandoned = srv.abandoned('/slow/shutdown');
    const future = executor.submit(fetchTask(`${srv.url}/slow/shutdown?ms=30000`));
    await arrived;
    await executor.shutdown({ cancelFutures: true });
    expect(future.cancelled()).toBe(true);
    await abandoned;
    expect(srv.aborted).toEqual(['/slow/shutdown']);
  });

  /**
   * Submits the task `make` builds with the caller's signal, aborts that signal once `ready` resolves,
   * and checks the caller's abort is a cancellation carrying its reason, not a failure to retry.
   */
  async function abortedByCaller(
    make: (signal: AbortSignal) => (ctx: TaskContext) => Promise<unknown>,
    ready: () => Promise<void>,
    options: TaskOptions = {},
  ): Promise<void> {
    const controller = new AbortController();
    const future = executor.submit(make(controller.signal), options);
    await ready();
    controller.abort(new Error('caller gave up'));
    const error = await rejection(future);
    expect(error).toBeInstanceOf(CancelledError);
    expect(((error as CancelledError).cause as Error).message).toBe('caller gave up');
    expect(future.state).toBe('cancelled');
  }

  it('the caller’s own init.signal aborts it too', async () => {
    const arrived = srv.received('/slow/own');
    const abandoned = srv.abandoned('/slow/own');
    await abortedByCaller(
      (signal) => fetchTask(`${srv.url}/slow/own?ms=30000`, { signal }),
      () => arrived,
    );
    await abandoned;
  });

  it('a Request’s own signal aborts it too, as a cancellation', async () => {
    const arrived = srv.received('/slow/request');
    const abandoned = srv.abandoned('/slow/request');
    await abortedByCaller(
      (signal) => fetchTask(new Request(`${srv.url}/slow/request?ms=30000`, { signal })),
      () => arrived,
      { retries: 2 },
    );
    await abandoned;
  });

  it('the caller’s own signal aborting while the body is read is a cancellation too: not retried', async () => {
    const abandoned = srv.abandoned('/stall');
    const events: TaskEvent[] = [];
    executor.onEvent((e) => events.push(e));
    let headers!: () => void;
    const gotHeaders = new Promise<void>((resolve) => (headers = resolve));
    const realFetch = globalThis.fetch;
    // the real fetch, telling the test when the response (its headers) arrived
    vi.stubGlobal('fetch', (...args: Parameters<typeof fetch>) => realFetch(...args).finally(headers));
    try {
      await abortedByCaller(
        (signal) => fetchTask(`${srv.url}/stall`, { signal }),
        () => gotHeaders,
        {
          retries: 3,
          retryDelay: 1,
        },
      );
      expect(events.filter((e) => e.type === 'retry')).toEqual([]);
      expect(srv.hits.get('/stall')).toBe(1);
      await abandoned;
    } finally {
      vi.unstubAllGlobals();
    }
  });

  describe('where the runtime has no AbortSignal.any (Safari before 17.4, Firefox before 124)', () => {
    const any = AbortSignal.any;
    beforeAll(() => {
      // @ts-expect-error a runtime without it
      delete AbortSignal.any;
    });
    afterAll(() => {
      AbortSignal.any = any;
    });

    it('init.signal and a Request’s signal still abort the request, as a cancellation', async () => {
      const arrived = [srv.received('/slow/own-1'), srv.received('/slow/request-1')];
      const abandoned = [srv.abandoned('/slow/own-1'), srv.abandoned('/slow/request-1')];
      await abortedByCaller(
        (signal) => fetchTask(`${srv.url}/slow/own-1?ms=30000`, { signal }),
        () => arrived[0] as Promise<void>,
      );
      await abortedByCaller(
        (signal) => fetchTask(new Request(`${srv.url}/slow/request-1?ms=30000`, { signal })),
        () => arrived[1] as Promise<void>,
        { retries: 2 },
      );
      await Promise.all(abandoned);
    });

    it('a request that ends leaves no listener on the caller’s signal', async () => {
      const controller = new AbortController();
      const task = fetchTask<{ slow: boolean }>(`${srv.url}/slow/done?ms=1`, { signal: controller.signal });
      expect(await executor.submit(task)).toEqual({ slow: true, ms: 1 });
      expect(
        await rejection(executor.submit(fetchTask(`${srv.url}/status/500`, { signal: controller.signal }))),
      ).toBeInstanceOf(HttpError);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });

  it('a map over URLs, cancelled by its signal, aborts every request in flight', async () => {
    const controller = new AbortController();
    const paths = ['/slow/m0', '/slow/m1', '/slow/m2'];
    const arrived = Promise.all(paths.map((p) => srv.received(p)));
    const abandoned = Promise.all(paths.map((p) => srv.abandoned(p)));
    const mapped = executor.map((path: string, ctx) => fetchTask(`${srv.url}${path}?ms=30000`)(ctx), paths, {
      signal: controller.signal,
    });
    await arrived;
    controller.abort();
    expect(await rejection(mapped)).toBeInstanceOf(CancelledError);
    await abandoned;
    expect([...srv.aborted].sort()).toEqual(paths);
  });
});
