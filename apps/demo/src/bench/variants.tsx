import { useMap } from '@fanout/react';
import { useNaiveMap } from './naive';

export interface VariantProps {
  work: (i: number) => Promise<number>;
  items: readonly number[];
  concurrency: number;
  /** Called while rendering a complete, correct set of results (render phase, on purpose: see measure.tsx). */
  onComplete: () => void;
}

/** What both variants render: a progress bar and a count, computed from every result (so each render reads them all). */
function Summary({
  results,
  n,
  onComplete,
}: {
  results: readonly (number | undefined)[];
  n: number;
  onComplete: () => void;
}) {
  let done = 0;
  let sum = 0;
  for (let i = 0; i < results.length; i++) {
    const value = results[i];
    if (value !== undefined) {
      done++;
      sum += value;
    }
  }
  // work(i) resolves to i: all n results are in (and right) when the sum is 0 + 1 + … + (n − 1).
  if (done === n && sum === (n * (n - 1)) / 2) onComplete();
  return (
    <p>
      <progress value={done} max={n} /> <output>{`${done} / ${n}`}</output>
    </p>
  );
}

/** fanout: `useMap` on an executor it owns with `maxWorkers: concurrency`. */
export function FanoutVariant({ work, items, concurrency, onComplete }: VariantProps) {
  const { results } = useMap(work, items, { executor: { maxWorkers: concurrency } });
  return <Summary results={results} n={items.length} onComplete={onComplete} />;
}

/** The naive hook: `setState` per completion. */
export function NaiveVariant({ work, items, concurrency, onComplete }: VariantProps) {
  const results = useNaiveMap(work, items, concurrency);
  return <Summary results={results} n={items.length} onComplete={onComplete} />;
}

export const VARIANTS = { fanout: FanoutVariant, naive: NaiveVariant } as const;
export type VariantName = keyof typeof VARIANTS;
