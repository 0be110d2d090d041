import type { AsyncExecutor, ExecutorSnapshot, TaskEvent } from '@fanout/core';
import { inkFor } from './contrast';

/** The colour states of a bar: an attempt on a worker, or a slot held while waiting for a rate-limit token. */
export type BarState = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

type EndState = Exclude<BarState, 'queued' | 'running'>;
/** What a lane's canvas shows: finished attempts, and the token waits before them. */
type DrawnState = EndState | 'queued';

/** An attempt in progress: a DOM element, moved every frame. */
interface LiveBar {
  readonly el: HTMLElement;
  readonly lane: number;
  readonly taskId: number;
  /** the task's name as submitted ("task 7"), or its id: the id keeps counting across runs */
  readonly label: string;
  readonly attempt: number;
  /** ms since the run started */
  readonly start: number;
}

/** A finished attempt (or a finished token wait): drawn on its lane's canvas. */
interface DoneBar {
  readonly start: number;
  readonly end: number;
  readonly state: DrawnState;
  /** 0 for a token wait */
  readonly attempt: number;
}

/** A task's wait in the queue, from its `queued` event to its first `started` (or its cancellation there). */
interface QueueBar {
  readonly start: number;
  end: number | undefined;
  /** the row of the queue lane it is drawn in: the lowest free one when it was queued */
  readonly slot: number;
  cancelled: boolean;
}

interface Lane {
  readonly id: number;
  readonly row: HTMLElement;
  readonly track: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly done: DoneBar[];
  /** the bar of a task holding this worker while it waits for a rate-limit token */
  readonly wait: HTMLElement;
  waitingFor: number | undefined;
  /** the waiting task's name (or id) */
  waitingLabel: string;
  waitStart: number;
  /** the scale and size the canvas was last drawn at, and whether bars were added since */
  drawnScale: number;
  drawnWidth: number;
  drawnHeight: number;
  /** bars of `done` already on the canvas */
  drawnCount: number;
  /** finished attempts on this lane, by how they ended: what its accessible summary counts */
  readonly ended: Record<EndState, number>;
  /** the lane's `aria-label` as last set (set again only when it changes) */
  summary: string;
}

const TICK_STEPS = [50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000];
const END_STATES: readonly EndState[] = ['retrying', 'succeeded', 'failed', 'cancelled'];
/** How opaque each finished bar is drawn (the same tints as styles.css gives the swatches and cells). */
const ALPHA: Record<DrawnState, number> = { queued: 0.4, retrying: 1, succeeded: 1, failed: 1, cancelled: 0.6 };

/**
 * Draws the worker lanes from the executor's events and snapshot only.
 *
 * Events are queued as they happen and applied in one
 * `requestAnimationFrame` callback: at most one update per frame, and never
 * a React render per bar. Attempts in progress are DOM elements
 * (`.bar[data-state="running"]`, at most one per worker), moved each frame;
 * finished attempts are batched onto one canvas per lane, redrawn only when
 * a bar was added or the time axis rescaled — so 1,000 finished bars cost a
 * few `fillRect`s per frame, not 1,000 elements to lay out and paint.
 *
 * Accessibility: the root is a `list` (its role and name are React's), each
 * lane a `listitem` whose `aria-label` sums it up ("Worker 0: running task 12,
 * attempt 2; 10 succeeded, 2 retrying, 1 failed, 0 cancelled"), refreshed in
 * the frame callback when it changes. The DOM bars are `img`s named by their
 * title; the canvas-drawn bars are read through those counts.
 */
export class Timeline {
  private readonly ruler: HTMLElement;
  private readonly lanesEl: HTMLElement;
  private readonly lanes = new Map<number, Lane>();
  /** the attempt bar of each running task */
  private readonly active = new Map<number, LiveBar>();
  /** tasks that settled (a cancelled task may still hold its worker until its promise settles) */
  private readonly ended = new Set<number>();
  private readonly ticks: HTMLElement[] = [];
  private readonly counts: Record<EndState, number> = { retrying: 0, succeeded: 0, failed: 0, cancelled: 0 };
  private readonly colours: Record<DrawnState, string>;
  /** the attempt number's colour on each fill: dark on the light ones, so it reads at 4.5:1 or more */
  private readonly inks: Record<DrawnState, string>;
  /** when each task's latest attempt started (ms since t0): where a token wait ends */
  private readonly startedAt = new Map<number, number>();
  /** The queue lane, above the workers: one thin bar per task for its wait in the queue. */
  private readonly queueRow: HTMLElement;
  private readonly queueTrack: HTMLElement;
  private readonly queueCanvas: HTMLCanvasElement;
  private readonly queueBars: QueueBar[] = [];
  /** the bars of the tasks still in the queue, by task id */
  private readonly inQueue = new Map<number, QueueBar>();
  /** rows of the queue lane given back by tasks that left it, and how many rows were ever used */
  private readonly freeSlots: number[] = [];
  private slots = 0;
  private queueSummary = '';
  private pending: TaskEvent[] = [];
  private frameId = 0;
  private lastAt: number;
  private readonly offEvents: () => void;
  private readonly offSnapshot: () => void;
  private readonly resizeObserver: ResizeObserver | undefined;
  private destroyed = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly executor: AsyncExecutor,
    /** `Date.now()` at the start of the run: 0 on the time axis */
    private readonly t0: number,
  ) {
    this.lastAt = t0;
    root.replaceChildren();
    const css = getComputedStyle(root);
    const colour = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
    this.colours = {
      queued: colour('--queued', '#8e9aae'),
      retrying: colour('--retrying', '#e29b12'),
      succeeded: colour('--succeeded', '#1f9d55'),
      failed: colour('--failed', '#d23f3f'),
      cancelled: colour('--cancelled', '#7b8190'),
    };
    const track = colour('--track', '#f1f3f7');
    const ink = (state: DrawnState): string => inkFor(this.colours[state], ALPHA[state], track);
    this.inks = {
      queued: ink('queued'),
      retrying: ink('retrying'),
      succeeded: ink('succeeded'),
      failed: ink('failed'),
      cancelled: ink('cancelled'),
    };
    this.ruler = el('div', 'ruler');
    this.ruler.setAttribute('aria-hidden', 'true');
    this.lanesEl = el('div', 'lanes');
    this.lanesEl.setAttribute('role', 'none');
    this.queueRow = el('div', 'lane queue-lane');
    this.queueRow.dataset.testid = 'queue-lane';
    this.queueRow.setAttribute('role', 'listitem');
    const queueLabel = el('div', 'lane-label');
    queueLabel.textContent = 'Q';
    queueLabel.setAttribute('aria-hidden', 'true');
    this.queueTrack = el('div', 'track');
    this.queueCanvas = document.createElement('canvas');
    this.queueCanvas.className = 'lane-canvas';
    this.queueTrack.append(this.queueCanvas);
    this.queueRow.append(queueLabel, this.queueTrack);
    this.lanesEl.append(this.queueRow);
    root.append(this.ruler, this.lanesEl);
    this.offEvents = executor.onEvent(this.onEvent);
    this.offSnapshot = executor.subscribe(this.schedule);
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(this.schedule);
      this.resizeObserver.observe(root);
    }
    this.schedule();
  }

  /** Stop listening and drawing; the last picture stays on the page. */
  destroy(): void {
    this.destroyed = true;
    this.offEvents();
    this.offSnapshot();
    this.resizeObserver?.disconnect();
    cancelAnimationFrame(this.frameId);
    this.frameId = 0;
  }

  private readonly onEvent = (event: TaskEvent): void => {
    this.pending.push(event);
    this.schedule();
  };

  private readonly schedule = (): void => {
    if (this.frameId === 0 && !this.destroyed) this.frameId = requestAnimationFrame(this.frame);
  };

  private readonly frame = (): void => {
    this.frameId = 0;
    // Read layout first, then only write: no forced synchronous layout.
    const width = this.ruler.clientWidth;
    const height = this.queueTrack.clientHeight; // every lane's track is as high as the queue's
    const snapshot = this.executor.getSnapshot();
    const events = this.pending;
    this.pending = [];
    for (const event of events) this.apply(event);
    this.syncLanes(snapshot, Date.now() - this.t0);
    const busy = snapshot.queued + snapshot.running + snapshot.retrying > 0;
    const now = busy ? Date.now() : this.lastAt;
    const elapsed = Math.max(0, now - this.t0);
    const span = axisSpan(elapsed);
    const scale = width > 0 ? width / span : 0;
    const runningOn = new Map<number, LiveBar>();
    for (const bar of this.active.values()) {
      place(bar.el, bar.start, elapsed, scale);
      runningOn.set(bar.lane, bar);
    }
    for (const lane of this.lanes.values()) {
      if (lane.waitingFor !== undefined) place(lane.wait, lane.waitStart, elapsed, scale);
      this.drawLane(lane, scale, width, height);
      summarize(lane, runningOn.get(lane.id));
    }
    this.drawQueue(elapsed, scale, width, height);
    this.drawTicks(span, width, scale);
    const data = this.root.dataset;
    data.elapsed = String(Math.round(elapsed));
    data.bars = String(
      this.counts.retrying + this.counts.succeeded + this.counts.failed + this.counts.cancelled + this.active.size,
    );
    for (const state of END_STATES)
      data[`bars${state[0]?.toUpperCase()}${state.slice(1)}`] = String(this.counts[state]);
    data.barsQueue = String(this.queueBars.length);
    // The axis keeps moving while anything is queued, running or retrying.
    if (busy) this.schedule();
  };

  private apply(event: TaskEvent): void {
    this.lastAt = Math.max(this.lastAt, event.at);
    const at = event.at - this.t0;
    const current = this.active.get(event.taskId);
    switch (event.type) {
      case 'queued': {
        const slot = this.freeSlots.pop() ?? this.slots++;
        const bar: QueueBar = { start: at, end: undefined, slot, cancelled: false };
        this.queueBars.push(bar);
        this.inQueue.set(event.taskId, bar);
        return;
      }
      case 'started': {
        this.leaveQueue(event.taskId, at, false);
        if (current !== undefined) this.finish(current, 'cancelled', at);
        this.startedAt.set(event.taskId, at);
        if (event.workerId === undefined) return;
        const lane = this.lane(event.workerId);
        const bar = el('div', 'bar');
        bar.dataset.state = 'running';
        bar.dataset.taskId = String(event.taskId);
        bar.dataset.attempt = String(event.attempt);
        bar.textContent = String(event.attempt);
        const label = taskLabel(event.name, event.taskId);
        bar.title = `${label}, attempt ${event.attempt}: running`;
        bar.setAttribute('role', 'img');
        bar.setAttribute('aria-label', bar.title);
        lane.track.append(bar);
        this.active.set(event.taskId, {
          el: bar,
          lane: event.workerId,
          taskId: event.taskId,
          label,
          attempt: event.attempt,
          start: at,
        });
        return;
      }
      case 'retry':
        if (current !== undefined) this.finish(current, 'retrying', at);
        return;
      case 'succeeded':
      case 'failed':
      case 'cancelled':
        this.leaveQueue(event.taskId, at, true); // only a task cancelled in the queue is still there
        this.ended.add(event.taskId);
        if (current !== undefined) this.finish(current, event.type, at);
        return;
      default:
        return;
    }
  }

  /** The task left the queue: it started, or was cancelled there. Its row is free for the next task queued. */
  private leaveQueue(taskId: number, at: number, cancelled: boolean): void {
    const bar = this.inQueue.get(taskId);
    if (bar === undefined) return;
    this.inQueue.delete(taskId);
    bar.end = Math.max(bar.start, at);
    bar.cancelled = cancelled;
    this.freeSlots.push(bar.slot);
  }

  /**
   * The queue lane: every task's wait, one thin bar each, in rows (a task takes the lowest free row, so
   * waits that overlap in time lie one above the other; past as many rows as fit, they share them).
   * Redrawn whole each frame: the waits still going on grow with the clock.
   */
  private drawQueue(elapsed: number, scale: number, width: number, height: number): void {
    const waiting = this.inQueue.size;
    const summary = `Queue: ${waiting} waiting; ${this.queueBars.length - waiting} left it`;
    if (summary !== this.queueSummary) {
      this.queueSummary = summary;
      this.queueRow.setAttribute('aria-label', summary);
    }
    if (width <= 0 || height <= 0) return;
    const dpr = globalThis.devicePixelRatio || 1;
    const canvas = this.queueCanvas;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (ctx === null) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const rows = Math.max(1, Math.min(this.slots, Math.floor((height - 2) / 2)));
    const rowH = (height - 2) / rows;
    for (const bar of this.queueBars) {
      const end = bar.end ?? elapsed;
      ctx.fillStyle = this.colours[bar.cancelled ? 'cancelled' : 'queued'];
      ctx.globalAlpha = bar.cancelled ? ALPHA.cancelled : ALPHA.queued;
      ctx.fillRect(
        bar.start * scale,
        1 + (bar.slot % rows) * rowH,
        Math.max(1.5, (end - bar.start) * scale),
        Math.max(1, rowH - 0.5),
      );
    }
    ctx.globalAlpha = 1;
  }

  /** The attempt ended: its element goes, its bar is drawn on the lane's canvas. */
  private finish(bar: LiveBar, state: EndState, at: number): void {
    this.active.delete(bar.taskId);
    bar.el.remove();
    const lane = this.lane(bar.lane);
    lane.done.push({ start: bar.start, end: Math.max(bar.start, at), state, attempt: bar.attempt });
    this.counts[state]++;
    lane.ended[state]++;
  }

  private lane(id: number): Lane {
    let lane = this.lanes.get(id);
    if (lane !== undefined) return lane;
    const row = el('div', 'lane');
    row.dataset.testid = 'lane';
    row.dataset.workerId = String(id);
    row.setAttribute('role', 'listitem');
    const label = el('div', 'lane-label');
    label.textContent = `W${id}`;
    label.setAttribute('aria-hidden', 'true'); // the lane's aria-label names the worker
    const track = el('div', 'track');
    const canvas = document.createElement('canvas');
    canvas.className = 'lane-canvas';
    const wait = el('div', 'bar');
    wait.dataset.state = 'queued';
    wait.dataset.role = 'token-wait';
    wait.setAttribute('role', 'img');
    wait.hidden = true;
    track.append(canvas, wait);
    row.append(label, track);
    lane = {
      id,
      row,
      track,
      canvas,
      wait,
      done: [],
      waitingFor: undefined,
      waitingLabel: '',
      waitStart: 0,
      drawnScale: -1,
      drawnWidth: 0,
      drawnHeight: 0,
      drawnCount: 0,
      ended: { retrying: 0, succeeded: 0, failed: 0, cancelled: 0 },
      summary: '',
    };
    this.lanes.set(id, lane);
    // Keep the lanes sorted by worker id.
    let before: HTMLElement | null = null;
    let beforeId = Number.POSITIVE_INFINITY;
    for (const [otherId, other] of this.lanes) {
      if (otherId > id && otherId < beforeId) {
        before = other.row;
        beforeId = otherId;
      }
    }
    this.lanesEl.insertBefore(row, before);
    return lane;
  }

  /** Lanes follow the snapshot's workers; a lane whose worker went away (pool shrunk) is kept, dimmed, for its history. */
  private syncLanes(snapshot: ExecutorSnapshot, now: number): void {
    const current = new Set<number>();
    for (const worker of snapshot.workers) {
      current.add(worker.id);
      const lane = this.lane(worker.id);
      // A task holds a worker before its attempt starts while it waits for a rate-limit token: the
      // snapshot names the task but has no `busySince` (the attempt's start time) yet.
      const taskId = worker.taskId;
      const waiting =
        taskId !== undefined &&
        worker.busySince === undefined &&
        !this.ended.has(taskId) &&
        this.active.get(taskId)?.lane !== worker.id;
      if (lane.waitingFor !== undefined && (!waiting || lane.waitingFor !== taskId)) this.endWait(lane, now);
      if (waiting && lane.waitingFor === undefined) {
        lane.waitingFor = taskId;
        lane.waitingLabel = taskLabel(worker.taskName, taskId);
        lane.waitStart = now; // the first frame that sees it: no event marks a slot taken
        lane.wait.title = `${lane.waitingLabel}: holding W${worker.id}, waiting for a rate-limit token`;
        lane.wait.setAttribute('aria-label', lane.wait.title);
        lane.wait.hidden = false;
      }
    }
    for (const [id, lane] of this.lanes) {
      const retired = !current.has(id);
      if (retired && lane.waitingFor !== undefined) this.endWait(lane, now);
      if ((lane.row.dataset.retired === 'true') === retired) continue;
      lane.row.dataset.testid = retired ? 'lane-retired' : 'lane';
      if (retired) lane.row.dataset.retired = 'true';
      else delete lane.row.dataset.retired;
    }
    this.root.style.setProperty('--lanes', String(Math.max(1, this.lanes.size) + 1)); // + the queue lane
  }

  /** A token wait is over (its attempt started, or the task was cancelled): it moves to the canvas. */
  private endWait(lane: Lane, now: number): void {
    const taskId = lane.waitingFor;
    if (taskId === undefined) return;
    const started = this.startedAt.get(taskId);
    const end = started !== undefined && started >= lane.waitStart ? started : now;
    lane.done.push({ start: lane.waitStart, end, state: 'queued', attempt: 0 });
    lane.waitingFor = undefined;
    lane.wait.hidden = true;
  }

  /** Draw the lane's finished bars: only the new ones, unless the axis or the size changed. */
  private drawLane(lane: Lane, scale: number, width: number, height: number): void {
    if (width <= 0 || height <= 0) return;
    const redraw = lane.drawnScale !== scale || lane.drawnWidth !== width || lane.drawnHeight !== height;
    if (!redraw && lane.drawnCount === lane.done.length) return;
    const dpr = globalThis.devicePixelRatio || 1;
    const canvas = lane.canvas;
    if (lane.drawnWidth !== width || lane.drawnHeight !== height) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (ctx === null) return;
    const from = redraw ? 0 : lane.drawnCount;
    lane.drawnScale = scale;
    lane.drawnWidth = width;
    lane.drawnHeight = height;
    lane.drawnCount = lane.done.length;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (redraw) ctx.clearRect(0, 0, width, height);
    const top = 1;
    const h = height - 2;
    ctx.font = `${Math.min(11, Math.max(8, h - 4))}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    for (let i = from; i < lane.done.length; i++) {
      const bar = lane.done[i] as DoneBar;
      const x = bar.start * scale;
      const w = Math.max(1.5, (bar.end - bar.start) * scale - 1);
      ctx.fillStyle = this.colours[bar.state];
      ctx.globalAlpha = ALPHA[bar.state];
      ctx.fillRect(x, top, w, h);
      if (bar.attempt > 0 && w >= 12 && h >= 9) {
        ctx.globalAlpha = 1;
        ctx.fillStyle = this.inks[bar.state];
        ctx.fillText(String(bar.attempt), x + 2, top + h / 2, w - 3);
      }
    }
    ctx.globalAlpha = 1;
  }

  private drawTicks(span: number, width: number, scale: number): void {
    if (width <= 0) return;
    // About one label per 90 px.
    const step = TICK_STEPS.find((s) => (s / span) * width >= 90) ?? (TICK_STEPS.at(-1) as number);
    const count = Math.floor(span / step) + 1;
    while (this.ticks.length < count) {
      const tick = el('div', 'tick');
      this.ruler.append(tick);
      this.ticks.push(tick);
    }
    for (let i = 0; i < this.ticks.length; i++) {
      const tick = this.ticks[i] as HTMLElement;
      if (i >= count) {
        tick.hidden = true;
        continue;
      }
      const t = i * step;
      const text = `${Number((t / 1000).toFixed(2))} s`;
      tick.hidden = false;
      if (tick.textContent !== text) tick.textContent = text;
      tick.style.transform = `translateX(${t * scale}px)`;
    }
  }
}

/**
 * The length of the time axis for a run `elapsed` ms old: it grows in steps
 * of 25 %, so the finished bars are redrawn only when the axis rescales, not
 * on every frame.
 */
function axisSpan(elapsed: number): number {
  const steps = Math.ceil(Math.log(Math.max(elapsed * 1.02, 1000) / 1000) / Math.log(1.25));
  return 1000 * 1.25 ** Math.max(0, steps);
}

/**
 * Set the lane's `aria-label` to what it shows: the attempt running on it (or
 * the task holding it for a token), then its finished attempts by state.
 * Built from a few numbers once per frame, and written only when it changed.
 */
function summarize(lane: Lane, running: LiveBar | undefined): void {
  const now =
    running !== undefined
      ? `running ${running.label}, attempt ${running.attempt}`
      : lane.waitingFor !== undefined
        ? `${lane.waitingLabel} waiting for a rate-limit token`
        : 'idle';
  const e = lane.ended;
  const retired = lane.row.dataset.retired === 'true' ? ' (removed from the pool)' : '';
  const summary = `Worker ${lane.id}${retired}: ${now}; ${e.succeeded} succeeded, ${e.retrying} retrying, ${e.failed} failed, ${e.cancelled} cancelled`;
  if (summary === lane.summary) return;
  lane.summary = summary;
  lane.row.setAttribute('aria-label', summary);
}

/** How a bar or a lane names a task: by the name it was submitted with, else by its id. */
function taskLabel(name: string | undefined, taskId: number): string {
  return name ?? `task ${taskId}`;
}

/** Position a bar that runs until now: from `start` to `elapsed` ms. */
function place(bar: HTMLElement, start: number, elapsed: number, scale: number): void {
  bar.style.transform = `translateX(${start * scale}px)`;
  bar.style.width = `${Math.max(2, (elapsed - start) * scale)}px`;
}

function el(tag: string, className: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}
