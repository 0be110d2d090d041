import { reportError } from './future.js';
import { checkFunction } from './validate.js';

/**
 * Batches change notifications: however many changes happen in one
 * synchronous burst, listeners are called once, in a microtask. This is what
 * lets 1,000 completions in one tick cost a single `useSyncExternalStore`
 * check.
 */
export class Notifier {
  private readonly listeners = new Set<() => void>();
  private scheduled = false;
  /** Someone is subscribed: a plain field, so a hot path checks it without a call. */
  listening = false;

  get size(): number {
    return this.listeners.size;
  }

  subscribe(listener: () => void): () => void {
    checkFunction('listener', listener);
    this.listeners.add(listener);
    this.listening = true;
    let subscribed = true;
    return () => {
      // A second call must not remove the same listener subscribed again since.
      if (!subscribed) return;
      subscribed = false;
      this.listeners.delete(listener);
      this.listening = this.listeners.size > 0;
    };
  }

  notify(): void {
    if (this.scheduled || !this.listening) return;
    this.scheduled = true;
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        reportError(error);
      }
    }
  };
}
