/**
 * A fault-injecting HTTP server for the network-fault tests: a plain Node
 * `http` server on 127.0.0.1 (port 0). Every `GET /item/:id` is answered by
 * the fault `plan(id, attempt)` picks, where `attempt` is the client's attempt
 * number, read from the `x-attempt` header (so the plan is the same on every
 * run, however the timing goes).
 *
 * It records every request (arrival, fault, how it ended) so that a test can
 * count on the server's side what the client counted on its own, and it
 * checks, as it runs, what only the server can see:
 * - concurrency: requests whose response is not complete and whose
 *   connection is still open;
 * - the rate: sliding windows over the arrival times, and over the times the
 *   client's rate limiter granted each request (sent in `x-sent-at`; arrival
 *   times also carry the loopback latency, which on a loaded machine varies by
 *   tens of milliseconds and bunches arrivals together);
 * - `Retry-After`: each 429 records the wall-clock time it asks the client to
 *   wait for (`retryAt`), for the test to compare with the next attempt's
 *   arrival (only if the client did read that 429: an attempt that timed out
 *   first never saw it).
 *
 * Concurrency is counted twice. `maxInFlightRaw` is the count at each
 * arrival. It can overstate by the attempts the client has just abandoned:
 * when a timeout aborts a request, the client frees its slot at once and may
 * send the next request before this server has read the abandoned
 * connection's close (both arrive in the same turn of its event loop).
 * `maxInFlight` re-counts two turns later (a socket's close is emitted in the
 * close-callbacks phase, after the turn's `setImmediate`) leaving out only the
 * requests whose close turned out to be a client abort by then.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { maxInWindow as busiestWindow } from './test-utils.js';

export type Fault =
  /** 200 with a JSON body at once */
  | 'ok'
  /** 200, the JSON body trickled in `slowChunks` chunks `slowChunkMs` apart (well within the timeout) */
  | 'slow'
  /** 429 with `Retry-After: <retryAfterSeconds>` (delta-seconds) */
  | 'retry-after-seconds'
  /** 429 with `Retry-After: <HTTP date>` 1–2 s ahead (the format truncates it to the second) */
  | 'retry-after-date'
  | '500'
  | '503'
  /** accepted, never answered: the client must give up (timeout) and the server sees the close */
  | 'hang'
  /** 200 and the first part of the body, then the rest trickles until long past the client's timeout */
  | 'slow-past-timeout'
  /** 200 with a content-length and part of the body, then the socket is destroyed (connection reset mid-body) */
  | 'reset';

export const FAULTS: readonly Fault[] = [
  'ok',
  'slow',
  'retry-after-seconds',
  'retry-after-date',
  '500',
  '503',
  'hang',
  'slow-past-timeout',
  'reset',
];

/** How a request ended, as the server saw it. */
export type Ending =
  /** the whole response was handed to the socket */
  | 'finished'
  /** the client closed the connection before the response was complete */
  | 'aborted'
  /** the server destroyed the socket on purpose (`reset`) */
  | 'reset';

export interface RequestRecord {
  readonly id: string;
  /** the client's attempt number (`x-attempt: <id>:<attempt>`) */
  readonly attempt: number;
  /** `${id}:${attempt}` */
  readonly key: string;
  readonly fault: Fault;
  /** `performance.now()` at arrival */
  readonly arrivedAt: number;
  /** `Date.now()` at arrival */
  readonly arrivedWall: number;
  /** `Date.now()` at which the client's rate limiter let it go (`x-sent-at`), if given */
  readonly sentAt: number | undefined;
  status: number | undefined;
  /** a 429's `Retry-After` as a `Date.now()` time */
  retryAt: number | undefined;
  ending: Ending | undefined;
  endedAt: number | undefined;
}

/** The JSON body of a 200: it names the attempt it answers. */
export interface ItemBody {
  id: string;
  attempt: number;
  pad: string;
}

export interface FaultServerOptions {
  /** The fault for attempt `attempt` (1-based) of `id`. */
  plan: (id: string, attempt: number) => Fault;
  /** `Retry-After` of `retry-after-seconds`. @default 1 */
  retryAfterSeconds?: number;
  /** @default 5 */
  slowChunks?: number;
  /** @default 8 */
  slowChunkMs?: number;
  /** Delay between the 10 chunks of `slow-past-timeout`. @default 100 */
  stallChunkMs?: number;
}

export interface FaultServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly records: readonly RequestRecord[];
  /** Requests not yet ended (response not complete, connection open). */
  readonly inFlight: number;
  /** Highest `inFlight` at an arrival, leaving out requests found aborted by the client two loop turns later. */
  readonly maxInFlight: number;
  /** Highest `inFlight` at an arrival, as counted then. */
  readonly maxInFlightRaw: number;
  /** The most requests within any window of `windowMs` (half-open, like the limiter's), by arrival or by grant time. */
  maxInWindow(windowMs: number, by?: 'arrivedAt' | 'sentAt'): number;
  close(): Promise<void>;
}

const BODY_PAD = 'x'.repeat(400);

export async function startFaultServer(options: FaultServerOptions): Promise<FaultServer> {
  const { plan, retryAfterSeconds = 1, slowChunks = 5, slowChunkMs = 8, stallChunkMs = 100 } = options;
  const records: RequestRecord[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const open = new Set<RequestRecord>();
  let maxInFlight = 0;
  let maxInFlightRaw = 0;

  const later = (fn: () => void, ms: number): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/warm') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const match = /^\/item\/([^/?]+)$/.exec(req.url ?? '');
    const attemptHeader = /^(.+):(\d+)$/.exec(String(req.headers['x-attempt'] ?? ''));
    if (!match || !attemptHeader || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    const id = decodeURIComponent(match[1] as string);
    const attempt = Number(attemptHeader[2]);
    const wall = Date.now();
    const fault = plan(id, attempt);
    const record: RequestRecord = {
      id,
      attempt,
      key: `${id}:${attempt}`,
      fault,
      arrivedAt: performance.now(),
      arrivedWall: wall,
      sentAt: Number(req.headers['x-sent-at']) || undefined,
      status: undefined,
      retryAt: undefined,
      ending: undefined,
      endedAt: undefined,
    };
    records.push(record);
    open.add(record);
    if (open.size > maxInFlightRaw) maxInFlightRaw = open.size;
    if (open.size > maxInFlight) {
      const atArrival = [...open];
      setImmediate(() =>
        setImmediate(() => {
          const count = atArrival.filter((r) => r.ending !== 'aborted').length;
          if (count > maxInFlight) maxInFlight = count;
        }),
      );
    }

    const end = (ending: Ending): void => {
      if (record.ending !== undefined) return;
      record.ending = ending;
      record.endedAt = performance.now();
      open.delete(record);
    };
    res.on('finish', () => end('finished'));
    res.on('close', () => end(res.writableFinished ? 'finished' : 'aborted'));

    const body = JSON.stringify({ id, attempt, pad: BODY_PAD } satisfies ItemBody);
    const json = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    const trickle = (chunks: number, every: number): void => {
      record.status = 200;
      res.writeHead(200, json);
      const size = Math.ceil(body.length / chunks);
      let i = 0;
      const step = (): void => {
        if (res.destroyed) return;
        if (i === chunks - 1) {
          res.end(body.slice(i * size));
          return;
        }
        res.write(body.slice(i * size, (i + 1) * size));
        i++;
        later(step, every);
      };
      step();
    };

    switch (fault) {
      case 'ok':
        record.status = 200;
        res.writeHead(200, json).end(body);
        break;
      case 'slow':
        trickle(slowChunks, slowChunkMs);
        break;
      case 'slow-past-timeout':
        trickle(10, stallChunkMs);
        break;
      case 'retry-after-seconds':
        record.status = 429;
        record.retryAt = wall + retryAfterSeconds * 1000;
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds) })
          .end('{"error":"slow down"}');
        break;
      case 'retry-after-date': {
        record.status = 429;
        const date = new Date(wall + 1000 + Math.floor(Math.random() * 1000)).toUTCString();
        record.retryAt = Date.parse(date);
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': date }).end('slow down');
        break;
      }
      case '500':
      case '503':
        record.status = Number(fault);
        res.writeHead(record.status, { 'content-type': 'text/plain' }).end(`injected ${fault}`);
        break;
      case 'hang':
        break; // never answered; the client's timeout closes it
      case 'reset':
        record.status = 200;
        res.writeHead(200, json);
        res.write(body.slice(0, 100));
        // Let the headers and the first bytes reach the client, then cut the connection.
        later(() => {
          end('reset');
          res.socket?.destroy();
        }, 2);
        break;
    }
  };

  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    records,
    get inFlight() {
      return open.size;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get maxInFlightRaw() {
      return maxInFlightRaw;
    },
    maxInWindow(windowMs: number, by: 'arrivedAt' | 'sentAt' = 'arrivedAt'): number {
      const times = records.map((r) => r[by] ?? Number.NaN);
      if (times.some(Number.isNaN)) throw new Error(`maxInWindow: some requests have no ${by}`);
      return busiestWindow(times, windowMs);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
