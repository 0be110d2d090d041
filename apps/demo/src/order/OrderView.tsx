import type { TaskContext } from '@fanout/core';
import { useAsCompleted, useMap } from '@fanout/react';
import { useCallback, useMemo, useState } from 'react';
import { sleep } from '../lib/sleep';
import { scaled, useSpeed, useSpeedRef } from '../speed';
import { Slider } from '../ui/Slider';

/** Delay of items 1–4 at 1× speed, ms. */
const FAST_MS = 500;
const ITEMS = 5;

export interface Timed {
  /** the item's delay at 1× speed */
  readonly ms: number;
  /** `Date.now()` when its attempt started and ended */
  readonly startedAt: number;
  readonly finishedAt: number;
}

function formatMs(ms: number): string {
  return `${Math.round(ms)} ms`;
}

/**
 * The same five inputs through `useMap` and `useAsCompleted`, side by side:
 * item 0 slow, items 1–4 fast. `map`'s promise (like an ordered `mapIter`)
 * hands results over in input order, so nothing after item 0 is delivered
 * before it; `asCompleted` hands each over as it finishes. `useMap` itself
 * exposes `results[i]` as soon as item `i` finishes: the map column holds
 * those back, as `map`'s promise would, and shows them as "held" meanwhile.
 */
export function OrderView() {
  const speed = useSpeed();
  const speedRef = useSpeedRef();
  const [slowMs, setSlowMs] = useState(3000);
  // The speed the run on screen started at: its items read the speed when they start (all at once), so a
  // speed changed mid-run applies from the next run, and the text and the axis say the run's own.
  const [runSpeed, setRunSpeed] = useState(speed);
  // Changing the slow delay changes item 0, and the hooks start a new run (items compare like a dependency array).
  const items = useMemo(() => [slowMs, ...Array.from({ length: ITEMS - 1 }, () => FAST_MS)], [slowMs]);
  const work = useCallback(
    async (ms: number, { signal }: TaskContext): Promise<Timed> => {
      const startedAt = Date.now();
      await sleep(scaled(ms, speedRef.current), signal);
      return { ms, startedAt, finishedAt: Date.now() };
    },
    [speedRef],
  );
  // Each hook runs on an executor of its own (owned by the component: shut down on unmount), five workers each.
  const map = useMap(work, items, { executor: { maxWorkers: ITEMS, name: 'map' } });
  const asCompleted = useAsCompleted(work, items, { executor: { maxWorkers: ITEMS, name: 'asCompleted' } });
  const axis = Math.max(slowMs, FAST_MS) / runSpeed;

  // Start of each run: every item starts at once (five workers), so the earliest start is the run's start.
  const mapT0 = minStart(map.results);
  const completedT0 = minStart(asCompleted.completed.map((c) => c.value));

  const rows = items.map((ms, index) => {
    const value = map.results[index];
    let deliveredAt: number | undefined;
    for (let j = 0; j <= index; j++) {
      const r = map.results[j];
      if (r === undefined) {
        deliveredAt = undefined;
        break;
      }
      deliveredAt = Math.max(deliveredAt ?? 0, r.finishedAt);
    }
    return { index, ms, value, deliveredAt };
  });

  return (
    // The view's section has no name: "map vs asCompleted" would make it a second region named like each column.
    <section className="view">
      <div className="view-head">
        <h2 id="order-title">map vs asCompleted</h2>
        <p>
          Five inputs: item 0 takes {formatMs(slowMs)}, items 1–4 take {formatMs(FAST_MS)}
          {runSpeed !== speed
            ? ` (this run at ${runSpeed}× speed; ${speed}× applies from the next run)`
            : speed !== 1
              ? ` (run at ${speed}× speed)`
              : ''}
          . <code>map</code> resolves in input order: the fast ones wait for item 0. The left column shows that order
          from <code>useMap</code>'s results, held back as <code>map</code>
          's promise would (<code>useMap</code> itself exposes each result as soon as it finishes: the amber “held”
          rows). <code>asCompleted</code> hands each result over as it finishes. Times are ms since the run started.
        </p>
      </div>
      <form className="controls inline" aria-label="map vs asCompleted controls" onSubmit={(e) => e.preventDefault()}>
        <Slider
          label="Slow item delay"
          min={500}
          max={6000}
          step={250}
          value={slowMs}
          format={formatMs}
          testId="slow-input"
          onChange={(ms) => {
            setSlowMs(ms); // a new run, at the speed of now
            setRunSpeed(speed);
          }}
        />
        <button
          type="button"
          className="primary"
          data-testid="rerun"
          onClick={() => {
            setRunSpeed(speed);
            map.restart();
            asCompleted.restart();
          }}
        >
          Rerun
        </button>
      </form>
      <div className="columns">
        <section className="column" aria-labelledby="map-title" data-testid="map-column">
          <h3 id="map-title">
            <code>map</code> — input order
          </h3>
          <p className="subtitle">
            <code>useMap</code>'s results, held back until every earlier item is in
          </p>
          <p className="status" role="status" data-testid="map-status" aria-live="polite">
            {map.status}, {map.progress.done} of {map.progress.total} finished
          </p>
          <ol className="results" aria-label="map results in input order">
            {rows.map(({ index, ms, value, deliveredAt }) => {
              const state = deliveredAt !== undefined ? 'delivered' : value !== undefined ? 'held' : 'pending';
              const arrival = deliveredAt !== undefined && mapT0 !== undefined ? deliveredAt - mapT0 : undefined;
              return (
                <li
                  key={index}
                  className="result"
                  data-testid="map-result"
                  data-index={index}
                  data-state={state}
                  {...(arrival !== undefined ? { 'data-arrival-ms': Math.round(arrival) } : {})}
                >
                  <span className="item">item {index}</span>{' '}
                  <span className="what">{ms === FAST_MS ? 'fast' : 'slow'}</span>
                  <span className="track" aria-hidden="true">
                    {arrival !== undefined && (
                      <span className="fill" style={{ width: `${Math.min(100, (arrival / axis) * 100)}%` }} />
                    )}
                  </span>{' '}
                  <span className="when">
                    {state === 'delivered' && arrival !== undefined && `arrived at ${formatMs(arrival)}`}
                    {state === 'held' &&
                      value !== undefined &&
                      mapT0 !== undefined &&
                      `finished at ${formatMs(value.finishedAt - mapT0)}, held for item ${rows.findIndex((r) => r.value === undefined)}`}
                    {state === 'pending' && (map.status === 'running' ? 'running…' : map.status)}
                  </span>
                </li>
              );
            })}
          </ol>
        </section>
        <section className="column" aria-labelledby="completed-title" data-testid="ascompleted-column">
          <h3 id="completed-title">
            <code>asCompleted</code> — completion order
          </h3>
          <p className="subtitle">
            through <code>useAsCompleted</code>
          </p>
          <p className="status" role="status" data-testid="ascompleted-status" aria-live="polite">
            {asCompleted.status}, {asCompleted.progress.done} of {asCompleted.progress.total} finished
          </p>
          <ol className="results" aria-label="asCompleted results in arrival order">
            {asCompleted.completed.map((c) => {
              const arrival = completedT0 !== undefined ? c.at - completedT0 : undefined;
              return (
                <li
                  key={c.index}
                  className="result"
                  data-testid="ascompleted-result"
                  data-index={c.index}
                  data-state={c.error === undefined ? 'delivered' : 'failed'}
                  {...(arrival !== undefined ? { 'data-arrival-ms': Math.round(arrival) } : {})}
                >
                  <span className="item">item {c.index}</span>{' '}
                  <span className="what">{c.item === FAST_MS ? 'fast' : 'slow'}</span>
                  <span className="track" aria-hidden="true">
                    {arrival !== undefined && (
                      <span className="fill" style={{ width: `${Math.min(100, (arrival / axis) * 100)}%` }} />
                    )}
                  </span>{' '}
                  <span className="when">
                    {arrival !== undefined ? `arrived at ${formatMs(arrival)}` : 'cancelled'}
                  </span>
                </li>
              );
            })}
            {pendingIndices(items.length, asCompleted.completed).map((index) => (
              <li key={`pending-${index}`} className="result placeholder" aria-hidden="true">
                <span className="item">…</span>
              </li>
            ))}
          </ol>
        </section>
      </div>
    </section>
  );
}

function minStart(values: readonly (Timed | undefined)[]): number | undefined {
  let t0: number | undefined;
  for (const v of values) if (v !== undefined && (t0 === undefined || v.startedAt < t0)) t0 = v.startedAt;
  return t0;
}

/** Items not finished yet (their rows wait at the end of the completion-order list). */
function pendingIndices(length: number, completed: readonly { index: number }[]): number[] {
  const done = new Set(completed.map((c) => c.index));
  return Array.from({ length }, (_, i) => i).filter((i) => !done.has(i));
}
