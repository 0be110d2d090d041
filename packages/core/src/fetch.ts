import { CancelledError, HttpError } from './errors.js';
import { anySignal } from './signals.js';
import type { TaskContext } from './task.js';
import { clearTimer, now, setTimer } from './time.js';
import { checkObject, checkOneOf, checkOptions, describe } from './validate.js';

/** How `fetchTask` reads a successful response. */
export type FetchParse = 'json' | 'text' | 'response';

/** Options of {@link fetchTask}. */
export interface FetchTaskOptions<P extends FetchParse = FetchParse> {
  /** @default 'json' */
  parse?: P | undefined;
}

type Parsed<P extends FetchParse, T> = P extends 'text' ? string : P extends 'response' ? Response : T;

/** `fetchTask`'s `init`: a `RequestInit` (a task context passed there by mistake does not type). */
export type FetchInit = RequestInit & { taskId?: never; workerId?: never };

/** The three HTTP date forms (RFC 9110 §5.6.7): a month name, a year of 2 or 4 digits, and hh:mm:ss. */
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const HTTP_DATE = new RegExp(
  `^(?:(?:[a-z]{3,9}, ?)?\\d{1,2}[ -]${MONTH}[ -]\\d{2,4} \\d{2}:\\d{2}:\\d{2} GMT|[a-z]{3} ${MONTH} +\\d{1,2} \\d{2}:\\d{2}:\\d{2} \\d{4})$`,
  'i',
);

/**
 * Milliseconds a `Retry-After` header asks for: delta-seconds (`"120"`, or
 * leniently `"1.5"`) or an HTTP date (`"Wed, 21 Oct 2026 07:28:00 GMT"`,
 * counted from now, never negative). `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  // delta-seconds; a fraction ("1.5", which some servers send) is honoured too, rounded up to the ms
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  // An HTTP date (IMF-fixdate, RFC 850 or asctime) names a month and carries hh:mm:ss; without this check
  // V8's lenient Date.parse reads "-5", "+3" or "soon 5" as a day in 2001.
  if (!HTTP_DATE.test(text)) return undefined;
  // Every HTTP date is GMT; the asctime form does not say so, and Date.parse would read it as local time.
  const date = Date.parse(/GMT$/i.test(text) ? text : `${text} GMT`);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const PARSES: readonly FetchParse[] = ['json', 'text', 'response'];
const KEYS: ReadonlySet<string> = new Set(['parse']);

/**
 * A task function that calls `fetch` with the task's signal (so cancel,
 * timeout and shutdown abort the request) and throws `HttpError` on a non-2xx
 * status, with `retryAfterMs` read from `Retry-After` — which the executor's
 * retries honour.
 *
 * @example
 * const user = await executor.submit(fetchTask<User>('/api/users/7'), { retries: 3, timeout: 5000 });
 * const texts = await executor.map((url, ctx) => fetchTask(url, undefined, { parse: 'text' })(ctx), urls);
 */
export function fetchTask<T = unknown>(
  input: string | URL | Request,
  init?: FetchInit,
  options?: FetchTaskOptions<'json'>,
): (ctx: Pick<TaskContext, 'signal'>) => Promise<T>;
// `T` is accepted (and unused) by the next two, so that `fetchTask<User>(url, init, { parse: 'text' })` still types.
export function fetchTask<_T = unknown>(
  input: string | URL | Request,
  init: FetchInit | undefined,
  options: FetchTaskOptions<'text'>,
): (ctx: Pick<TaskContext, 'signal'>) => Promise<string>;
export function fetchTask<_T = unknown>(
  input: string | URL | Request,
  init: FetchInit | undefined,
  options: FetchTaskOptions<'response'>,
): (ctx: Pick<TaskContext, 'signal'>) => Promise<Response>;
export function fetchTask<T = unknown, P extends FetchParse = FetchParse>(
  input: string | URL | Request,
  init?: FetchInit,
  options?: FetchTaskOptions<P>,
): (ctx: Pick<TaskContext, 'signal'>) => Promise<Parsed<P, T>>;
export function fetchTask<T, P extends FetchParse>(
  input: string | URL | Request,
  init?: FetchInit,
  options?: FetchTaskOptions<P>,
): (ctx: Pick<TaskContext, 'signal'>) => Promise<Parsed<P, T>> {
  if (typeof input !== 'string' && !(input instanceof URL) && !(input instanceof Request)) {
    throw new TypeError(`input must be a URL string, a URL or a Request, got ${describe(input)}`);
  }
  if (init !== undefined) {
    checkObject('init', init);
    if ('taskId' in init && 'workerId' in init) {
      // `map(fetchTask, urls)`: the task context arrived where the RequestInit goes.
      throw new TypeError(
        'init must be a RequestInit, got a task context: fetchTask(input) returns the task function; ' +
          'write map((url, ctx) => fetchTask(url)(ctx), urls) or submit(fetchTask(url))',
      );
    }
  }
  if (options !== undefined) {
    checkOptions('options', options, KEYS);
  }
  const parse = checkOneOf('parse', options?.parse === undefined ? 'json' : options.parse, PARSES);
  return async (ctx) => {
    const signal = (ctx as Partial<TaskContext> | undefined)?.signal;
    if (signal === undefined) {
      throw new TypeError(`the task function of fetchTask must be called with the task context, got ${describe(ctx)}`);
    }
    // The caller's own signals — `init.signal`, a Request's — abort the request as the task's does.
    const own = [init?.signal, input instanceof Request ? input.signal : undefined].filter(
      (s): s is AbortSignal => s != null,
    );
    // `giveUp`: ends the request when an error response's body is too slow to come (see readBody).
    const giveUp = new AbortController();
    const joined = anySignal([...own, signal, giveUp.signal]);
    try {
      // A Request is sent as a copy, so that a retry can send its body again.
      const request = input instanceof Request ? input.clone() : input;
      const response = await globalThis.fetch(request, { ...init, signal: joined.signal });
      const url = response.url || String(input instanceof Request ? input.url : input);
      if (!response.ok) {
        throw new HttpError({
          status: response.status,
          statusText: response.statusText,
          url,
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
          body: await readBody(response, joined.signal, giveUp),
        });
      }
      if (parse === 'response') return response as Parsed<P, T>;
      const text = await untilAborted(response.text(), joined.signal);
      if (parse === 'text') return text as Parsed<P, T>;
      // An empty body (204 No Content, an empty 200) is `undefined`, not a SyntaxError to retry.
      if (text === '') return undefined as Parsed<P, T>;
      try {
        return JSON.parse(text) as Parsed<P, T>;
      } catch (error) {
        // Which request answered what: an HTML error page behind a proxy reads `Unexpected token '<'` alone.
        throw new SyntaxError(`${url} (status ${response.status}) did not answer JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
    } catch (error) {
      // The caller's own signal is a cancellation, not a failure to retry — also while the body is read.
      const aborted = own.find((s) => s.aborted);
      if (aborted !== undefined && !signal.aborted) {
        throw new CancelledError('fetch aborted by its signal', { cause: aborted.reason });
      }
      throw error;
    } finally {
      joined.release();
    }
  };
}

/**
 * A body read that ends when `signal` aborts, with its reason, even if the `fetch` in use (a stub, a
 * wrapper, a Response rebuilt from a stream) did not tie the body to the signal it was given.
 */
function untilAborted<T>(read: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    read.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort);
  });
}

/** How long an error response's body may take to arrive: the status and `Retry-After` are known before it. */
const ERROR_BODY_MS = 1000;

/**
 * An error response's body, for `HttpError.body`: JSON if it parses, else text; `undefined` if unreadable,
 * aborted or not all there within `ERROR_BODY_MS` (a body that stalls must not hold the retry back).
 */
async function readBody(response: Response, signal: AbortSignal, giveUp: AbortController): Promise<unknown> {
  const timer = setTimer(() => giveUp.abort(), ERROR_BODY_MS);
  try {
    const text = await untilAborted(response.text(), signal);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  } catch {
    return undefined;
  } finally {
    clearTimer(timer);
  }
}
