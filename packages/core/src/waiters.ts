import { CancelledError } from './errors.js';
import { callerSignals } from './signals.js';
import { checkSignal } from './validate.js';

/** A place in a {@link Semaphore}'s or {@link RateLimiter}'s queue. */
export interface Waiter {
  /** Leave the queue; a no-op once granted or already cancelled. */
  cancel(): void;
}

class Entry implements Waiter {
  prev: Entry | undefined = undefined;
  next: Entry | undefined = undefined;
  linked = true;
  constructor(
    readonly list: WaiterList,
    readonly grant: () => void,
    readonly onCancel: (() => void) | undefined,
    readonly priority: number,
  ) {}

  cancel(): void {
    if (!this.linked) return;
    this.list.unlink(this);
    this.onCancel?.();
  }
}

/**
 * A queue of grant callbacks, highest priority first and first come first
 * served within a priority: a doubly linked list (an aborted waiter in the
 * middle leaves at no cost) with the last waiter of each priority at hand,
 * so a push is O(1) behind its own priority and O(log k) for a priority new
 * to the queue (k priorities waiting); shift and removal are O(1) (O(k) when
 * the last waiter of a priority leaves).
 * @internal
 */
export class WaiterList {
  #head: Entry | undefined = undefined;
  #size = 0;
  /** The last waiter of each priority waiting. */
  readonly #last = new Map<number, Entry>();
  /** The priorities waiting, highest first. */
  readonly #levels: number[] = [];

  /** Number of queued waiters. */
  get size(): number {
    return this.#size;
  }

  /** Queue `grant` behind every waiter of the same or a higher priority; `onCancel` runs after a `cancel()` that removed it. */
  push(grant: () => void, onCancel?: () => void, priority = 0): Waiter {
    const entry = new Entry(this, grant, onCancel, priority);
    let before = this.#last.get(priority);
    if (before === undefined) {
      // A priority new to the queue: behind the last waiter of the lowest priority above it.
      const at = this.#levelAt(priority);
      before = at === 0 ? undefined : this.#last.get(this.#levels[at - 1] as number);
      this.#levels.splice(at, 0, priority);
    }
    this.#last.set(priority, entry);
    const after = before === undefined ? this.#head : before.next;
    entry.prev = before;
    entry.next = after;
    if (before === undefined) this.#head = entry;
    else before.next = entry;
    if (after !== undefined) after.prev = entry;
    this.#size++;
    return entry;
  }

  /** Remove the front waiter and return its grant callback (not called). */
  shift(): (() => void) | undefined {
    const entry = this.#head;
    if (entry === undefined) return undefined;
    this.unlink(entry);
    return entry.grant;
  }

  /** @internal */
  unlink(entry: Entry): void {
    const { priority, prev, next } = entry;
    if (this.#last.get(priority) === entry) {
      if (prev !== undefined && prev.priority === priority) this.#last.set(priority, prev);
      else {
        this.#last.delete(priority);
        this.#levels.splice(this.#levelAt(priority), 1);
      }
    }
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next !== undefined) next.prev = prev;
    entry.prev = entry.next = undefined;
    entry.linked = false;
    this.#size--;
  }

  /** Where `priority` is or would go in `#levels` (highest first). */
  #levelAt(priority: number): number {
    const levels = this.#levels;
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((levels[mid] as number) > priority) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Promise-style waiting on top of a callback-style `enqueue`: resolves when
 * granted — with what `onGrant` returns, called in the grant itself (before
 * any other code runs: a rate limiter logs that moment as the start); if
 * `signal` aborts first, leaves the queue and rejects with
 * `CancelledError(message, { cause: signal.reason })`. The abort listener is
 * removed on either outcome.
 * @internal
 */
export function waitForGrant<T = void>(
  enqueue: (grant: () => void) => Waiter,
  signal: AbortSignal | undefined,
  message: string,
  onGrant: () => T | PromiseLike<T> = () => undefined as T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const start = () => {
      try {
        resolve(onGrant());
      } catch (error) {
        reject(error);
      }
    };
    if (signal === undefined) {
      enqueue(start);
      return;
    }
    checkSignal('signal', signal);
    if (signal.aborted) {
      reject(new CancelledError(message, { cause: signal.reason }));
      return;
    }
    let granted = false;
    const place = {
      cancel(reason: unknown): void {
        waiter.cancel();
        reject(new CancelledError(message, { cause: reason }));
      },
    };
    const waiter = enqueue(() => {
      granted = true;
      callerSignals.delete(signal, place);
      start();
    });
    // enqueue may grant synchronously; then there is nothing to listen for.
    if (!granted) callerSignals.add(signal, place);
  });
}
