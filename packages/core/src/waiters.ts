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
 * served within a priority: O(1) push at the lowest or highest priority
 * waiting (one priority for all, the usual case), shift, and removal of any
 * waiter (a doubly linked list, so an aborted waiter in the middle costs
 * nothing); a push between priorities walks back from the tail.
 * @internal
 */
export class WaiterList {
  #head: Entry | undefined = undefined;
  #tail: Entry | undefined = undefined;
  #size = 0;

  /** Number of queued waiters. */
  get size(): number {
    return this.#size;
  }

  /** Queue `grant` behind every waiter of the same or a higher priority; `onCancel` runs after a `cancel()` that removed it. */
  push(grant: () => void, onCancel?: () => void, priority = 0): Waiter {
    const entry = new Entry(this, grant, onCancel, priority);
    // Behind the last waiter of the same or a higher priority: found from the tail (equal priorities, the
    // usual case, stop at once), or at the head when this one outranks everybody (rising priorities).
    let before = this.#tail;
    if (this.#head !== undefined && this.#head.priority < priority) before = undefined;
    else while (before !== undefined && before.priority < priority) before = before.prev;
    const after = before === undefined ? this.#head : before.next;
    entry.prev = before;
    entry.next = after;
    if (before === undefined) this.#head = entry;
    else before.next = entry;
    if (after === undefined) this.#tail = entry;
    else after.prev = entry;
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
    if (entry.prev === undefined) this.#head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === undefined) this.#tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = entry.next = undefined;
    entry.linked = false;
    this.#size--;
  }
}

/**
 * Promise-style waiting on top of a callback-style `enqueue`: resolves when
 * granted; if `signal` aborts first, leaves the queue and rejects with
 * `CancelledError(message, { cause: signal.reason })`. The abort listener is
 * removed on either outcome.
 * @internal
 */
export function waitForGrant(
  enqueue: (grant: () => void) => Waiter,
  signal: AbortSignal | undefined,
  message: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal === undefined) {
      enqueue(resolve);
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
      resolve();
    });
    // enqueue may grant synchronously; then there is nothing to listen for.
    if (!granted) callerSignals.add(signal, place);
  });
}
