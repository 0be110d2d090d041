import { useEffect, useState } from 'react';

/**
 * The hook people write without a library: `concurrency` workers pull the next index from a
 * shared counter, and each completion calls `setResults` with a copy of the array. React batches
 * the updates that land before it renders, but nothing holds them back to once per frame.
 */
export function useNaiveMap<R>(fn: (item: number) => Promise<R>, items: readonly number[], concurrency: number) {
  const [results, setResults] = useState<readonly (R | undefined)[]>(() => new Array(items.length));
  useEffect(() => {
    let cancelled = false;
    let next = 0;
    const worker = async () => {
      while (!cancelled && next < items.length) {
        const i = next++;
        const value = await fn(items[i]!);
        if (cancelled) return;
        setResults((prev) => {
          const copy = prev.slice();
          copy[i] = value;
          return copy;
        });
      }
    };
    for (let k = 0; k < concurrency; k++) void worker();
    return () => {
      cancelled = true;
    };
  }, [fn, items, concurrency]);
  return results;
}
