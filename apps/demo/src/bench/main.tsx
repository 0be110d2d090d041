// Scenario 6 of the benchmark (bench/scenarios/react.mjs): a page that is not linked from the demo.
// The scenario opens /bench.html in a fresh page and calls `window.fanoutBench.run(params)`.
// By hand: /bench.html?lib=naive&n=10000&concurrency=16&work=macrotask runs once and prints the result.
import { type BenchParams, type BenchResult, runBench } from './measure';

declare global {
  interface Window {
    fanoutBench?: { run: (params: BenchParams) => Promise<BenchResult> };
  }
}

const container = document.getElementById('root')!;
let used = false;

window.fanoutBench = {
  run(params) {
    // One run per page load: a second one would start with a warm JIT and a used React root.
    if (used) return Promise.reject(new Error('fanoutBench.run: one run per page load'));
    used = true;
    return runBench(container, params);
  },
};

const query = new URLSearchParams(window.location.search);
if (query.has('lib')) {
  const params: BenchParams = {
    lib: query.get('lib') as BenchParams['lib'],
    n: Number(query.get('n') ?? 10_000),
    concurrency: Number(query.get('concurrency') ?? 16),
    work: (query.get('work') ?? 'macrotask') as BenchParams['work'],
  };
  const out = document.getElementById('result')!;
  window.fanoutBench.run(params).then(
    (result) => {
      out.textContent = JSON.stringify({ params, result }, null, 2);
    },
    (error: unknown) => {
      out.textContent = String(error);
    },
  );
}
