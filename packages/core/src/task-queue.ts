/**
 * The executor's queue of tasks waiting for a worker. A ring-buffer deque
 * while every task has the same priority (O(1) push, unshift and shift, no
 * `Array.prototype.shift`), switching for good to a binary heap ordered by
 * (priority desc, sequence asc) the first time priorities differ.
 */
export interface Queued {
  /** higher starts first */
  readonly _priority: number;
  /** increases in submit order; equal priorities start in this order */
  readonly id: number;
}

export class TaskQueue<T extends Queued> {
  private ring: (T | undefined)[] = new Array(16);
  private head = 0;
  private count = 0;
  private heap: T[] | undefined;
  private firstPriority: number | undefined;

  get size(): number {
    return this.heap ? this.heap.length : this.count;
  }

  push(item: T): void {
    if (this.heap === undefined) {
      if (this.firstPriority === undefined || this.count === 0) this.firstPriority = item._priority;
      if (item._priority === this.firstPriority) {
        this.ringPush(item);
        return;
      }
      this.toHeap();
    }
    this.heapPush(item);
  }

  /** Put back at the front (a retry, or a task handed back after a pause); in heap mode its sequence places it. */
  unshift(item: T): void {
    if (this.heap === undefined && (this.count === 0 || item._priority === this.firstPriority)) {
      if (this.count === 0) this.firstPriority = item._priority;
      if (this.count === this.ring.length) this.grow();
      this.head = (this.head - 1 + this.ring.length) % this.ring.length;
      this.ring[this.head] = item;
      this.count++;
      return;
    }
    if (this.heap === undefined) this.toHeap();
    this.heapPush(item);
  }

  /** The item `shift()` would return. */
  peek(): T | undefined {
    return this.heap === undefined ? this.ring[this.head] : this.heap[0];
  }

  shift(): T | undefined {
    const heap = this.heap;
    if (heap !== undefined) return this.heapPop(heap);
    if (this.count === 0) return undefined;
    const item = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
    return item;
  }

  /** Keep only the items `keep` accepts, in their order. */
  retain(keep: (item: T) => boolean): void {
    for (const item of this.drain()) if (keep(item)) this.push(item);
  }

  /** Remove and return everything (shutdown with `cancelFutures`). */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  private ringPush(item: T): void {
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = item;
    this.count++;
  }

  private grow(): void {
    const old = this.ring;
    const next: (T | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = next;
    this.head = 0;
  }

  private toHeap(): void {
    const items: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) items.push(item);
    this.heap = [];
    for (const item of items) this.heapPush(item);
  }

  private heapPush(item: T): void {
    const heap = this.heap as T[];
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!startsBefore(item, heap[parent] as T)) break;
      heap[i] = heap[parent] as T;
      i = parent;
    }
    heap[i] = item;
  }

  private heapPop(heap: T[]): T | undefined {
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && startsBefore(heap[r] as T, heap[l] as T) ? r : l;
      if (!startsBefore(heap[child] as T, last)) break;
      heap[i] = heap[child] as T;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/** `a` starts before `b`: a higher priority, or the same one and submitted earlier. */
export function startsBefore(a: Queued, b: Queued): boolean {
  return a._priority !== b._priority ? a._priority > b._priority : a.id < b.id;
}
