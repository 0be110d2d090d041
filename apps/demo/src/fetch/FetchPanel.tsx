import { CancelledError, fetchTask, type TaskContext } from '@fanout/core';
import { useExecutor, useMap } from '@fanout/react';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useFrameNotified } from '../lib/frame-store';
import { Button } from '../ui/Button';
import { Counter } from '../ui/Counter';
import { Board, type ItemState } from './board';
import type { Item } from './mock-api';

/** What one run of the fan-out is made of (fixed when it starts; the workers follow the live control). */
export interface FetchRunConfig {
  requests: number;
  /** client-side rate limit: starts per `interval` (0 = none) */
  rate: number;
  /** the rate window, ms (1000 at 1× speed) */
  interval: number;
  /** first retry wait, ms */
  retryDelay: number;
}

export const FETCH_RETRIES = 5;

/**
 * One fan-out: `requests` real `fetch` calls through `fetchTask`, on an
 * executor this component owns (`useExecutor`), mapped with `useMap`.
 * Unmounting it shuts the executor down with `cancelFutures`: every
 * request in flight is aborted and nothing new starts.
 */
export function FetchPanel({
  config,
  workers,
  onInFlight,
}: {
  config: FetchRunConfig;
  workers: number;
  /** told whether the run is under way (requests in flight or still to start), each time that changes */
  onInFlight?: (inFlight: boolean) => void;
}) {
  const { executor, snapshot } = useExecutor({
    name: 'fetch fan-out',
    maxWorkers: workers,
    ...(config.rate > 0 ? { rateLimit: { limit: config.rate, interval: config.interval } } : {}),
  });
  // (useExecutor resizes the executor it owns when `maxWorkers` changes: the workers control acts live.)

  const [board] = useState(() => new Board(config.requests));
  useEffect(() => board.attach(executor), [board, executor]);
  // Read live, like useMap below: the cells, "waiting on Retry-After" and the run's counters agree in every render.
  const view = useFrameNotified(board);

  const ids = useMemo(() => Array.from({ length: config.requests }, (_, i) => i), [config.requests]);
  const run = useMap(
    (id: number, ctx: TaskContext) => {
      board.bind(ctx.taskId, id);
      // Low priority: Chromium sends at most 6 requests at once to one HTTP/1.1 host, and the view's
      // `/api/stats` poll (default priority) then takes the next free connection instead of waiting its turn.
      return fetchTask<Item>(`/api/items/${id}`, { priority: 'low' })(ctx);
    },
    ids,
    { executor, retries: FETCH_RETRIES, retryDelay: config.retryDelay, returnExceptions: true },
  );

  const ok = run.results.reduce((n: number, r) => (r !== undefined && !(r instanceof Error) ? n + 1 : n), 0);
  // Failed for good; `progress.failed` counts cancelled items too (`errors[i]` tells which is which).
  const failed = run.errors.reduce(
    (n: number, e) => (e !== undefined && !(e instanceof CancelledError) ? n + 1 : n),
    0,
  );
  const { running, queued, retrying } = run.progress;
  // Cancelled: those in flight at the cancel, and those never started (no longer counted as queued then).
  const cancelled = config.requests - ok - failed - running - queued - retrying;
  // Every request that has an outcome: after a cancel, those never pulled too (`progress.done` counts only pulled items).
  const settled = ok + failed + cancelled;
  const active = run.status === 'running' || run.status === 'idle';
  useEffect(() => onInFlight?.(active), [onInFlight, active]);
  const status = useRef<HTMLParagraphElement>(null);
  // The log keeps its height and adds each retry at the bottom, following the end unless one scrolled up:
  // nothing on the page moves when a retry comes in.
  const logBox = useRef<HTMLOListElement>(null);
  const followLog = useRef(true);
  useLayoutEffect(() => {
    const box = logBox.current;
    if (box !== null && followLog.current && view.log.length > 0) box.scrollTop = box.scrollHeight;
  }, [view.log]);

  return (
    <div className="fetch-panel" data-testid="fetch-panel" data-status={run.status}>
      <div className="fetch-head">
        <p className="status" role="status" aria-live="polite" tabIndex={-1} ref={status} data-testid="fetch-status">
          {run.status === 'running' ? 'running' : run.status === 'success' ? 'finished' : run.status}: {settled} of{' '}
          {config.requests} requests done
        </p>
        <progress max={config.requests} value={settled} aria-label="requests done" />
        <Button
          disabled={!active}
          onClick={() => {
            run.cancel();
            status.current?.focus(); // this button disables itself: keep a keyboard user's place
          }}
          data-testid="fetch-cancel"
        >
          Cancel
        </Button>
      </div>
      <dl className="counters" aria-label="Fan-out counters">
        <Counter label="ok" value={ok} testId="fetch-ok" tone="succeeded" />
        <Counter label="failed" value={failed} testId="fetch-failed" tone="failed" />
        {/* The run's own progress: its queued count includes the requests `useMap` has not pulled yet, so
            ok + failed + cancelled + running + queued + retrying is every request, as on the board below. */}
        <Counter label="cancelled" value={cancelled} testId="fetch-cancelled" tone="cancelled" />
        <Counter label="running" value={running} testId="fetch-running" tone="running" />
        <Counter label="queued" value={queued} testId="fetch-queued" tone="queued" />
        <Counter label="retrying" value={retrying} testId="fetch-retrying" tone="retrying" />
        <Counter label="retries" value={view.retries} testId="fetch-retries" />
        <Counter label="429 → retry" value={view.rateLimited} testId="fetch-429" />
        <Counter label="503 → retry" value={view.serverErrors} testId="fetch-503" />
        <Counter
          label="Retry-After waits"
          value={`${view.retryAfterWaits} (${(view.retryAfterTotalMs / 1000).toFixed(1)} s)`}
          testId="fetch-retry-after"
        />
        <Counter label="waiting on Retry-After" value={view.waitingOnRetryAfter} testId="fetch-retry-after-now" />
        {snapshot.rateLimit !== undefined && (
          <Counter
            label={`limiter tokens / ${config.rate}`}
            value={Math.floor(snapshot.rateLimit.tokens)}
            testId="fetch-tokens"
          />
        )}
        <Counter label="workers" value={snapshot.maxWorkers} testId="fetch-workers" />
      </dl>
      <div className="fetch-body">
        <ul
          className="cells"
          aria-label={`${config.requests} requests: ${ok} ok, ${failed} failed`}
          data-testid="fetch-cells"
        >
          {view.states.map((state, i) => {
            const shown: ItemState = state === 'queued' && !active ? 'cancelled' : state;
            const attempts = run.attempts[i] ?? 0;
            return (
              <li
                // biome-ignore lint/suspicious/noArrayIndexKey: one cell per request id, fixed for the run
                key={i}
                className="cell"
                data-state={shown}
                data-retried={attempts > 1 ? 'true' : undefined}
                title={`item ${i}: ${shown}${attempts > 1 ? `, ${attempts} attempts` : ''}`}
              />
            );
          })}
        </ul>
        <section className="retry-log" aria-labelledby="retry-log-title">
          <h4 id="retry-log-title">Latest retries</h4>
          {view.log.length === 0 ? (
            <p className="muted">none yet</p>
          ) : (
            <ol
              data-testid="retry-log"
              ref={logBox}
              onScroll={(e) => {
                const box = e.currentTarget;
                followLog.current = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
              }}
            >
              {/* Oldest first, numbered by the retry's place in the run: the newest at the bottom. */}
              {[...view.log].reverse().map((entry) => (
                <li key={entry.seq} value={entry.seq}>
                  item {entry.item ?? '?'}: attempt {entry.attempt} got <strong>{entry.reason}</strong>
                  {entry.retryAfterMs !== undefined ? `, Retry-After ${entry.retryAfterMs / 1000} s` : ''}; next attempt
                  in {entry.delayMs} ms
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </div>
  );
}
