import { reportError } from './future.js';
import { checkFunction } from './validate.js';

/**
 * Batches change notifications: listeners are called once, in a microtask, after a burst of changes
 * has run its course — the microtask queue turned once with no change — however many changes it made
 * and at however many microtask depths (tasks that settle after a different number of `await`s in
 * one tick). This is what lets 1,000 completions in one tick cost a single `useSyncExternalStore` check.
 */
export class Notifier {
  /** One entry per subscription (the same function twice is called twice, and one unsubscribe leaves the other), removed in O(1). */
  private readonly listeners = new Set<() => void>();
  private scheduled = false;
  /** A change came after the flush was queued: it looks again one turn later. */
  private dirty = false;
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
    if (!this.listening) return;
    if (this.scheduled) this.dirty = true;
    else {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    if (this.dirty) {
      // Queued behind whatever the changes since have queued: it runs once they are done.
      this.dirty = false;
      queueMicrotask(this.flush);
      return;
    }
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
