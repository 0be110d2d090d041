/** What a signal cancels: a future, or a waiter for a permit or a token. */
export interface Cancellable {
  cancel(reason: unknown): unknown;
}

interface Watch {
  readonly members: Set<Cancellable>;
  readonly onAbort: () => void;
}

/**
 * One abort listener per signal, however many tasks (or waiters) share it: a
 * thousand tasks submitted with one `signal` add one listener, not a thousand
 * (and no `MaxListenersExceededWarning`). The listener goes when its last member
 * leaves (a task settles, a waiter is granted).
 */
export class SignalWatch {
  private readonly watches = new Map<AbortSignal, Watch>();

  /** Cancel `member` when `signal` aborts. */
  add(signal: AbortSignal, member: Cancellable): void {
    let watch = this.watches.get(signal);
    if (watch === undefined) {
      const members = new Set<Cancellable>();
      const onAbort = () => {
        this.watches.delete(signal);
        signal.removeEventListener('abort', onAbort);
        for (const m of members) m.cancel(signal.reason);
      };
      watch = { members, onAbort };
      this.watches.set(signal, watch);
      signal.addEventListener('abort', onAbort);
    }
    watch.members.add(member);
  }

  /** Stop watching `member` (it settled, or was granted). */
  delete(signal: AbortSignal, member: Cancellable): void {
    const watch = this.watches.get(signal);
    if (watch === undefined || !watch.members.delete(member) || watch.members.size > 0) return;
    this.watches.delete(signal);
    signal.removeEventListener('abort', watch.onAbort);
  }

  /** Signals listened to now. */
  get size(): number {
    return this.watches.size;
  }
}
