import { reportError } from './future.js';
import { checkFunction } from './validate.js';

/**
 * Batches change notifications: however many changes happen in one
 * synchronous burst, listeners are called once, in a microtask. This is what
 * lets 1,000 completions in one tick cost a single `useSyncExternalStore`
 * check.
 */
export class Notifier {
  /** One entry per subscription (the same function twice is called twice, and one unsubscribe leaves the other), removed in O(1). */
  private readonly listeners = new Set<() => void>();
  private scheduled = false;
  /** Someone is subscribed: a plain field, so a hot path checks it without a call. */
  listening = false;

  get size(): number {
    return this.listeners.size;
  }

  subscribe(listener: () => void): () => void {
    checkFunction('listener', listener);
    const entry = () => listener();
    this.listeners.add(entry);
    this.listening = true;
    return () => {
      this.listeners.delete(entry);
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
