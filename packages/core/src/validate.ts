/** Option checks shared by every public entry point; messages name the parameter and quote the value. */

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof (value as PromiseLike<unknown>).then === 'function') return 'a promise';
  return 'an object';
}

function fail(name: string, expected: string, value: unknown): never {
  const message = `${name} must be ${expected}, got ${describe(value)}`;
  throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}

/** An integer ≥ `min`; `Infinity` only when `allowInfinity`. */
export function checkInt(name: string, value: unknown, min: number, allowInfinity = false): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    fail(name, `an integer ≥ ${min}${allowInfinity ? ' or Infinity' : ''}`, value);
  }
  if (value === Number.POSITIVE_INFINITY && allowInfinity) return value;
  if (!Number.isInteger(value) || value < min) {
    fail(name, `an integer ≥ ${min}${allowInfinity ? ' or Infinity' : ''}`, value);
  }
  return value;
}

/** A finite number ≥ `min` (or > `min` when `exclusive`; any finite number when `min` is `-Infinity`), or `Infinity` when `allowInfinity`. */
export function checkNumber(
  name: string,
  value: unknown,
  min: number,
  exclusive = false,
  allowInfinity = false,
): number {
  if (allowInfinity && value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || (exclusive ? value <= min : value < min)) {
    const bound = min === Number.NEGATIVE_INFINITY ? '' : ` ${exclusive ? '>' : '≥'} ${min}`;
    fail(name, allowInfinity ? `a number${bound} or Infinity` : `a finite number${bound}`, value);
  }
  return value;
}

/** A wait in ms: a number ≥ 0, or `Infinity` for no limit. */
export function checkDelay(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) fail(name, 'a number ≥ 0 or Infinity', value);
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describe(value)}`);
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

export function checkSignal(name: string, value: unknown): void {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as AbortSignal).aborted !== 'boolean' ||
    typeof (value as AbortSignal).addEventListener !== 'function'
  ) {
    throw new TypeError(`${name} must be an AbortSignal, got ${describe(value)}`);
  }
}

export function checkObject(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an options object, got ${describe(value)}`);
  }
}

/** Names other libraries give an option (p-queue, p-map, p-retry, Python), with ours in order of preference. */
const ALIASES = new Map<string, readonly string[]>([
  ['concurrency', ['maxConcurrency', 'maxWorkers', 'maxConcurrent']],
  ['maxconcurrent', ['maxConcurrency', 'maxWorkers']],
  ['maxconcurrency', ['maxConcurrent']],
  ['maxworkers', ['maxConcurrent']],
  ['retry', ['retries']],
  ['maxretries', ['retries']],
  ['attempts', ['retries']],
  ['intervalcap', ['rateLimit', 'limit']],
  ['mintimeout', ['retryDelay']],
  ['maxtimeout', ['maxRetryDelay']],
  ['factor', ['backoff']],
  ['stoponerror', ['returnExceptions']],
]);

/** An options object with no unknown key: an unknown one is a typo the user wants to hear about (`maxWorker: 4`). */
export function checkOptions(name: string, value: unknown, known: ReadonlySet<string>): void {
  checkObject(name, value);
  for (const key of Object.keys(value as object)) {
    if (known.has(key)) continue;
    // The same name in another case or snake_case (`max_workers`), or another library's name for it.
    const plain = key.toLowerCase().replace(/[_-]/g, '');
    const like = [...known].find((k) => k.toLowerCase() === plain) ?? ALIASES.get(plain)?.find((k) => known.has(k));
    throw new TypeError(
      `${name} has an unknown option ${JSON.stringify(key)}${like === undefined ? '' : ` (did you mean "${like}"?)`}`,
    );
  }
}
