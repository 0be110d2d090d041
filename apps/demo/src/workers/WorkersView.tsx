import { AsyncExecutor, type ExecutorSnapshot, type TaskContext } from '@fanout/core';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { type ExternalStore, useFrameNotified } from '../lib/frame-store';
import { revealAbove } from '../lib/reveal';
import { sleep } from '../lib/sleep';
import { scaled, useSpeed, useSpeedRef } from '../speed';
import { Button } from '../ui/Button';
import { Counter } from '../ui/Counter';
import { Legend } from '../ui/Legend';
import { Slider } from '../ui/Slider';
import { Timeline } from './timeline';

export interface WorkersParams {
  workers: number;
  tasks: number;
  /** mean task duration at 1× speed, ms */
  duration: number;
  /** 0..1: durations are uniform in duration × (1 ± spread) */
  spread: number;
  /** share of attempts that throw, in percent (0–80) */
  failurePercent: number;
  retries: number;
  /** attempt starts per second (0 = no limit) */
  rate: number;
}

export const WORKERS_DEFAULTS: WorkersParams = {
  workers: 8,
  tasks: 120,
  duration: 600,
  spread: 0.6,
  failurePercent: 15,
  retries: 2,
  rate: 0,
};

/** The first wait before a retry at 1× speed, ms. */
const RETRY_DELAY = 300;

interface Run {
  readonly executor: AsyncExecutor;
  readonly timeline: Timeline;
  readonly t0: number;
}

const IDLE_SNAPSHOT: ExecutorSnapshot = Object.freeze({
  name: undefined,
  maxWorkers: 0,
  paused: false,
  shutdown: false,
  queued: 0,
  running: 0,
  retrying: 0,
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  submitted: 0,
  workers: [],
});
const IDLE_STORE: ExternalStore<ExecutorSnapshot> = { subscribe: () => () => {}, getSnapshot: () => IDLE_SNAPSHOT };

/**
 * Workers as lanes, tasks as bars: a run of simulated tasks (random
 * durations, some failing) through an executor, drawn from its events and
 * snapshot. Workers, pause and cancel act on the running executor; the other
 * controls shape the next run.
 */
export function WorkersView() {
  const speed = useSpeed();
  const speedRef = useSpeedRef();
  const [params, setParams] = useState(WORKERS_DEFAULTS);
  const paramsRef = useRef(params);
  const startButton = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    paramsRef.current = params;
  }, [params]);
  const rootRef = useRef<HTMLDivElement>(null);
  const mainRef = useRef<HTMLDivElement>(null);
  const runRef = useRef<Run | null>(null);
  const [run, setRun] = useState<Run | null>(null);

  const stop = useCallback(() => {
    const current = runRef.current;
    if (current === null) return;
    runRef.current = null;
    current.timeline.destroy();
    void current.executor.shutdown({ cancelFutures: true, wait: false });
  }, []);

  const start = useCallback(() => {
    const root = rootRef.current;
    if (root === null) return;
    stop();
    const p = paramsRef.current;
    const s = speedRef.current;
    const executor = new AsyncExecutor({
      name: 'workers demo',
      maxWorkers: p.workers,
      retries: p.retries,
      retryDelay: scaled(RETRY_DELAY, s),
      ...(p.rate > 0 ? { rateLimit: { limit: p.rate, interval: scaled(1000, s) } } : {}),
    });
    // Durations and failures are drawn when each attempt starts, so those controls act live.
    const task = async ({ signal }: TaskContext): Promise<void> => {
      const { duration, spread, failurePercent } = paramsRef.current;
      const ms = duration * (1 + spread * (2 * Math.random() - 1));
      await sleep(scaled(ms, speedRef.current), signal);
      if (Math.random() < failurePercent / 100) throw new Error('simulated failure');
    };
    const t0 = Date.now();
    // The timeline listens before the first submit: the first tasks start synchronously.
    const timeline = new Timeline(root, executor, t0);
    for (let i = 0; i < p.tasks; i++) executor.submit(task, { name: `task ${i}` });
    const next = { executor, timeline, t0 };
    runRef.current = next;
    setRun(next);
  }, [stop, speedRef]);

  // Start a run on mount so the page is alive at once; unmounting cancels it.
  useEffect(() => {
    start();
    return stop;
  }, [start, stop]);

  const snapshot = useFrameNotified(run?.executor ?? IDLE_STORE);
  const set =
    <K extends keyof WorkersParams>(key: K) =>
    (value: WorkersParams[K]) =>
      setParams((p) => ({ ...p, [key]: value }));
  const settled = snapshot.succeeded + snapshot.failed + snapshot.cancelled;
  const busy = snapshot.queued + snapshot.running + snapshot.retrying > 0;

  return (
    // The section and the controls are not labelled "Workers": that name belongs to the workers slider alone.
    <section className="view">
      <div className="view-head">
        <h2 id="workers-title">Workers</h2>
        <p>
          One lane per worker; each bar is one attempt of a task, labelled with its attempt number. Never more bars run
          at once than there are workers; a failed attempt turns amber and its task retries later, on whichever worker
          is free.
        </p>
      </div>
      <div className="workers-layout">
        <form className="controls" aria-label="Run controls" onSubmit={(e) => e.preventDefault()}>
          <Slider
            label="Workers"
            min={1}
            max={32}
            value={params.workers}
            testId="workers-input"
            hint="live: resizes the running pool"
            onChange={(v) => {
              set('workers')(v);
              if (run !== null && !run.executor.getSnapshot().shutdown) run.executor.resize(v);
            }}
          />
          <Slider
            label="Tasks"
            min={10}
            max={1000}
            step={10}
            value={params.tasks}
            testId="tasks-input"
            hint="next run"
            onChange={set('tasks')}
          />
          <Slider
            label="Task duration"
            min={100}
            max={3000}
            step={50}
            value={params.duration}
            format={(v) => `${v} ms`}
            testId="duration-input"
            hint="live, at 1× speed"
            onChange={set('duration')}
          />
          <Slider
            label="Duration spread"
            min={0}
            max={0.95}
            step={0.05}
            value={params.spread}
            format={(v) => `± ${Math.round(v * 100)} %`}
            testId="spread-input"
            onChange={set('spread')}
          />
          <Slider
            label="Failure rate"
            min={0}
            max={80}
            step={5}
            value={params.failurePercent}
            format={(v) => `${v} %`}
            testId="failure-input"
            onChange={set('failurePercent')}
          />
          <Slider
            label="Retries"
            min={0}
            max={5}
            value={params.retries}
            testId="retries-input"
            hint="next run"
            onChange={set('retries')}
          />
          <Slider
            label="Rate limit"
            min={0}
            max={100}
            step={5}
            value={params.rate}
            format={(v) => (v === 0 ? 'off' : speed === 1 ? `${v} starts/s` : `${v} per ${scaled(1000, speed)} ms`)}
            testId="rate-input"
            hint="next run"
            onChange={set('rate')}
          />
          <div className="buttons">
            <button
              type="button"
              className="primary"
              onClick={() => {
                start();
                revealAbove(mainRef.current);
              }}
              ref={startButton}
              data-testid="run"
            >
              Start
            </button>
            <Button
              disabled={run === null || snapshot.shutdown || (!busy && !snapshot.paused)} // nothing left to hold
              onClick={() => (snapshot.paused ? run?.executor.resume() : run?.executor.pause())}
              data-testid="pause"
            >
              {snapshot.paused ? 'Resume' : 'Pause'}
            </Button>
            <Button
              disabled={!busy}
              onClick={() => {
                run?.executor.cancelAll();
                startButton.current?.focus(); // this button disables itself: keep a keyboard user's place
              }}
              data-testid="cancel-all"
            >
              Cancel all
            </Button>
          </div>
        </form>
        <div className="workers-main" ref={mainRef}>
          <dl className="counters" aria-label="Executor snapshot" data-testid="workers-counters">
            <Counter label="queued" value={snapshot.queued} testId="count-queued" tone="queued" />
            <Counter label="running" value={snapshot.running} testId="count-running" tone="running" />
            <Counter label="retrying" value={snapshot.retrying} testId="count-retrying" tone="retrying" />
            <Counter label="succeeded" value={snapshot.succeeded} testId="count-succeeded" tone="succeeded" />
            <Counter label="failed" value={snapshot.failed} testId="count-failed" tone="failed" />
            <Counter label="cancelled" value={snapshot.cancelled} testId="count-cancelled" tone="cancelled" />
            <Counter label="done" value={`${settled} / ${snapshot.submitted}`} testId="count-done" />
            <Counter label="workers" value={snapshot.maxWorkers} testId="count-workers" />
            {snapshot.rateLimit !== undefined && (
              <Counter label="tokens" value={Math.floor(snapshot.rateLimit.tokens)} testId="count-tokens" />
            )}
            <Counter
              label="state"
              value={snapshot.paused ? 'paused' : busy ? 'running' : 'idle'}
              testId="run-state"
              status
            />
          </dl>
          <Legend />
          <p className="note" data-testid="no-bar-note">
            <strong>Q</strong>: each task's wait in the queue, a thin bar per task. On a worker's lane, a{' '}
            <strong>queued</strong> bar is a task holding it for a rate-limit token.
          </p>
          {/* A list of lanes (role="listitem", added by Timeline); not a <ul>: it also holds the time ruler (aria-hidden). */}
          {/* biome-ignore lint/a11y/useSemanticElements: its children are Timeline's divs, not <li>s */}
          <div
            className="timeline"
            ref={rootRef}
            role="list"
            aria-label={`Worker lanes (pool of ${snapshot.maxWorkers}): ${snapshot.running} running, ${snapshot.queued} queued, ${settled} of ${snapshot.submitted} done`}
            data-testid="timeline"
            data-speed={speed}
          />
        </div>
      </div>
    </section>
  );
}
