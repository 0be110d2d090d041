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

/**
 * The signals of every caller — tasks' `signal` option (of every executor, the helpers' private ones
 * included), semaphore and rate-limiter waiters, `wait`, `asCompleted`, `result()`, map runs and
 * `withTimeout`: one listener per signal, however many calls share it.
 */
export const callerSignals = /* @__PURE__ */ new SignalWatch();

/**
 * A signal that aborts, with its reason, when the first of `signals` does: `AbortSignal.any`, or where
 * the runtime lacks it (Safari before 17.4, Firefox before 124, Chrome before 116) a controller that
 * listens to each. `release()` drops those listeners once the joined signal is no longer needed
 * (`AbortSignal.any` holds nothing that needs it).
 */
export function anySignal(signals: AbortSignal[]): { signal: AbortSignal; release: () => void } {
  const any = (AbortSignal as { any?: (signals: AbortSignal[]) => AbortSignal }).any;
  if (typeof any === 'function') return { signal: any.call(AbortSignal, signals), release: () => {} };
  const controller = new AbortController();
  const release = () => {
    for (const s of signals) s.removeEventListener('abort', onAbort);
  };
  const onAbort = (event: Event) => {
    release();
    controller.abort((event.target as AbortSignal).reason);
  };
  const aborted = signals.find((s) => s.aborted);
  if (aborted !== undefined) controller.abort(aborted.reason);
  else for (const s of signals) s.addEventListener('abort', onAbort);
  return { signal: controller.signal, release };
}
