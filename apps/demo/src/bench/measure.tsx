import { Profiler } from 'react';
import { createRoot } from 'react-dom/profiling';
import { VARIANTS, type VariantName } from './variants';
import { makeWork, type WorkKind } from './work';

export interface BenchParams {
  lib: VariantName;
  /** Number of tasks. */
  n: number;
  concurrency: number;
  work: WorkKind;
  /** Reject if the results are not all rendered by then. @default 60_000 */
  timeoutMs?: number;
}

export interface BenchResult {
  /** React commits of the measured tree (`<Profiler onRender>` calls), the mount included, up to the first commit with every result. */
  commits: number;
  /** Animation frames (requestAnimationFrame callbacks) that began after the start and no later than that commit. */
  frames: number;
  /** `commits − frames`: the target is ≤ 2. */
  commitsOverFrames: number;
  /** Longest gap between two consecutive rAF callbacks, from the start to the first callback after that commit. */
  longestFrameMs: number;
  /** Start (root.render) to that commit. */
  totalMs: number;
  /** Sum of the Profiler's `actualDuration`: time React spent rendering the tree. */
  renderMs: number;
  /** For a closer look (not in the report): every frame gap and every commit, in ms since the start. */
  detail: { frameGaps: number[]; commitTimes: number[] };
}

const now = () => performance.now();
const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(() => resolve(now())));

/**
 * Mounts one variant into `container` and measures it until every result is rendered.
 *
 * A requestAnimationFrame loop runs from the start: the start itself happens in one of its
 * callbacks (so frame gaps are measured from a frame boundary), and the loop's callback is
 * registered before any the hooks register, so within a frame it runs first. The mount is
 * `root.render` with `react-dom/profiling`, whose `<Profiler onRender>` fires once per commit.
 * "Every result is rendered" is the first commit whose render saw all n results: the flag is set
 * while rendering (a render-phase side effect, fine here: nothing is rendered twice or discarded
 * without StrictMode and without transitions) and read in `onRender`, during that commit.
 */
export async function runBench(container: HTMLElement, params: BenchParams): Promise<BenchResult> {
  const { lib, n, concurrency, work: kind, timeoutMs = 60_000 } = params;
  const Variant = VARIANTS[lib];
  if (!Variant) throw new Error(`unknown variant ${String(lib)} (one of ${Object.keys(VARIANTS).join(', ')})`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a positive integer, got ${n}`);
  const items = Array.from({ length: n }, (_, i) => i);
  const work = makeWork(kind);

  let commits = 0;
  let renderMs = 0;
  const commitTimes: number[] = [];
  let sawComplete = false;
  let end: { at: number; commits: number } | undefined;
  const onComplete = () => {
    sawComplete = true;
  };
  const onRender = (_id: string, _phase: string, actualDuration: number) => {
    if (end) return;
    commits++;
    renderMs += actualDuration;
    commitTimes.push(now());
    if (sawComplete) end = { at: now(), commits };
  };

  // Let the page settle (load, first paint) before the clock starts.
  await nextFrame();
  await nextFrame();

  const root = createRoot(container);
  return new Promise<BenchResult>((resolve, reject) => {
    const frameTimes: number[] = [];
    let start = 0;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      root.unmount();
      reject(new Error(`not every result was rendered after ${timeoutMs} ms (${commits} commits)`));
    }, timeoutMs);
    const loop = () => {
      if (timedOut) return;
      const t = now();
      frameTimes.push(t);
      if (frameTimes.length === 1) {
        start = now();
        root.render(
          <Profiler id="bench" onRender={onRender}>
            <Variant work={work} items={items} concurrency={concurrency} onComplete={onComplete} />
          </Profiler>,
        );
      } else if (end && t > end.at) {
        // The first frame after the commit that rendered everything: stop.
        clearTimeout(deadline);
        const frameGaps = frameTimes.slice(1).map((f, i) => f - frameTimes[i]!);
        const frames = frameTimes.filter((f) => f > start && f <= end!.at).length;
        resolve({
          commits: end.commits,
          frames,
          commitsOverFrames: end.commits - frames,
          longestFrameMs: Math.max(...frameGaps),
          totalMs: end.at - start,
          renderMs,
          detail: { frameGaps, commitTimes: commitTimes.map((t) => t - start) },
        });
        return;
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
}
