import { useCallback, useEffect, useRef, useState } from 'react';
import { revealAbove } from '../lib/reveal';
import { scaled, useSpeed } from '../speed';
import { Button } from '../ui/Button';
import { Counter } from '../ui/Counter';
import { Legend } from '../ui/Legend';
import { Slider } from '../ui/Slider';
import { FETCH_RETRIES, FetchPanel, type FetchRunConfig } from './FetchPanel';
import { fetchStats, resetServer, type ServerConfig, type ServerStats } from './mock-api';

export interface FetchParams {
  requests: number;
  workers: number;
  /** client-side limiter, requests per second (0 = off) */
  clientRate: number;
  /** what the mock API accepts per second before answering 429 */
  serverRate: number;
  /** share of calls the mock API answers 503, in percent (0–50) */
  failurePercent: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const FETCH_DEFAULTS: FetchParams = {
  requests: 200,
  workers: 8,
  clientRate: 40,
  serverRate: 30,
  failurePercent: 10,
  minDelayMs: 20,
  maxDelayMs: 250,
};

const POLL_MS = 200;

/** What the mock API is set to for a run of `params` at `speed`: its delays and window follow the speed, like every other delay of the demo. */
function serverConfig(params: FetchParams, speed: number): Partial<ServerConfig> {
  return {
    rateLimit: params.serverRate,
    rateInterval: scaled(1000, speed),
    failureRate: params.failurePercent / 100,
    minDelayMs: scaled(params.minDelayMs, speed),
    maxDelayMs: Math.max(scaled(params.minDelayMs, speed), scaled(params.maxDelayMs, speed)),
  };
}

/** Whether the controls would start the same run as `a` did (the workers act live: not compared). */
function sameRun(a: FetchParams, b: FetchParams): boolean {
  return (
    a.requests === b.requests &&
    a.clientRate === b.clientRate &&
    a.serverRate === b.serverRate &&
    a.failurePercent === b.failurePercent &&
    a.minDelayMs === b.minDelayMs &&
    a.maxDelayMs === b.maxDelayMs
  );
}

interface Run {
  readonly id: number;
  readonly config: FetchRunConfig;
  /** the controls and the speed it started with: what the description tells while it is on screen */
  readonly params: FetchParams;
  readonly speed: number;
}

/**
 * The fetch fan-out: controls, the mock API's own counters (polled from
 * `/api/stats`, so they keep counting when the panel is gone), and the panel
 * that runs the requests. Unchecking "Show panel" unmounts the panel mid-run.
 */
export function FetchView() {
  const speed = useSpeed();
  const [params, setParams] = useState(FETCH_DEFAULTS);
  const [run, setRun] = useState<Run | null>(null);
  const [visible, setVisible] = useState(true);
  /** whether the panel had a run under way when it was hidden: only then did hiding it abort anything */
  const [hiddenMidRun, setHiddenMidRun] = useState(false);
  const runInFlight = useRef(false);
  const onInFlight = useCallback((inFlight: boolean) => {
    runInFlight.current = inFlight;
  }, []);
  const [starting, setStarting] = useState(false);
  /** Set at once (the button is disabled only at the next render): clicks within one task start one run. */
  const startingNow = useRef(false);
  const [problem, setProblem] = useState<string | null>(null);
  const mainRef = useRef<HTMLDivElement>(null);
  // A fresh page starts from fresh counters and the settings it describes, not the server's defaults (nor
  // an earlier visitor's totals). Start waits for this reset, so its own is not overtaken by it, and so
  // does the first poll of the counters.
  const mountSpeed = useRef(speed);
  const mountReset = useRef<Promise<unknown>>(Promise.resolve());
  useEffect(() => {
    mountReset.current = resetServer(serverConfig(FETCH_DEFAULTS, mountSpeed.current)).catch(() => {
      // the server's counters stay as they were; Start resets them again, and says so if it cannot
    });
  }, []);
  const stats = useServerStats(mountReset);
  // The description tells the run on screen (it keeps its settings when the controls move), or the next one.
  const shown = run?.params ?? params;
  const shownSpeed = run?.speed ?? speed;
  const window = shownSpeed === 1 ? 'second' : `${scaled(1000, shownSpeed)} ms`;
  const controlsDiffer = run !== null && (!sameRun(run.params, params) || run.speed !== speed);
  const set =
    <K extends keyof FetchParams>(key: K) =>
    (value: FetchParams[K]) =>
      setParams((p) => ({ ...p, [key]: value }));

  const start = async (): Promise<void> => {
    if (startingNow.current) return;
    startingNow.current = true;
    setStarting(true);
    setRun(null); // unmount the previous run first: its requests are aborted before the counters reset
    setVisible(true); // now, not after the reset: unchecking "Show panel" meanwhile is respected
    try {
      await mountReset.current;
      await resetServer(serverConfig(params, speed));
      setProblem(null);
      setRun((prev) => ({
        id: (prev?.id ?? 0) + 1 + Math.random(),
        params,
        speed,
        config: {
          requests: params.requests,
          rate: params.clientRate,
          interval: scaled(1000, speed),
          retryDelay: scaled(200, speed),
        },
      }));
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      startingNow.current = false;
      setStarting(false);
    }
  };

  return (
    <section className="view" aria-labelledby="fetch-title">
      <div className="view-head">
        <h2 id="fetch-title">Fetch fan-out</h2>
        <p data-testid="fetch-description">
          {controlsDiffer ? 'This run: ' : ''}
          {shown.requests} real <code>fetch</code> calls through <code>fetchTask</code> to a mock API served by this
          very server. It answers 429 with <code>Retry-After</code> past {shown.serverRate} requests per {window}, fails{' '}
          {shown.failurePercent} % of calls with 503 and answers after {scaled(shown.minDelayMs, shownSpeed)}–
          {scaled(shown.maxDelayMs, shownSpeed)} ms. The executor's token bucket allows{' '}
          {shown.clientRate === 0 ? 'any rate' : `${shown.clientRate} starts per ${window}`}; each request retries up to{' '}
          {FETCH_RETRIES} times, waiting at least what <code>Retry-After</code> asks.
          {controlsDiffer ? ' The controls marked "next run" apply at the next Start.' : ''}
        </p>
      </div>
      <div className="fetch-layout">
        {/* Start is a plain button, not the form's submit: Enter on a slider or the panel toggle (which act
            live, on the run in progress) must not throw that run away and start another, as an implicit
            submission would. */}
        <form className="controls" aria-label="Fan-out controls" onSubmit={(e) => e.preventDefault()}>
          <Slider
            label="Requests"
            min={10}
            max={1000}
            step={10}
            value={params.requests}
            testId="fetch-requests-input"
            hint="next run"
            onChange={set('requests')}
          />
          <Slider
            label="Workers"
            min={1}
            max={32}
            value={params.workers}
            testId="fetch-workers-input"
            hint="live; Chromium sends at most 6 at once to one HTTP/1.1 host"
            onChange={set('workers')}
          />
          <Slider
            label="Rate limit (requests/s)"
            min={0}
            max={200}
            step={5}
            value={params.clientRate}
            format={(v) => (v === 0 ? 'off' : `${v} requests/s`)}
            testId="fetch-rate-input"
            hint="next run; the executor's token bucket"
            onChange={set('clientRate')}
          />
          <Slider
            label="Server rate"
            min={5}
            max={200}
            step={5}
            value={params.serverRate}
            format={(v) => `${v} requests/s`}
            testId="fetch-server-rate-input"
            hint="next run; past it the mock API answers 429"
            onChange={set('serverRate')}
          />
          <Slider
            label="Failure rate"
            min={0}
            max={50}
            step={5}
            value={params.failurePercent}
            format={(v) => `${v} %`}
            testId="fetch-failure-input"
            hint="next run; answered 503"
            onChange={set('failurePercent')}
          />
          <Slider
            label="Slowest response"
            min={50}
            max={3000}
            step={50}
            value={params.maxDelayMs}
            format={(v) => `${params.minDelayMs}–${v} ms`}
            testId="fetch-delay-input"
            hint="next run"
            onChange={(v) => setParams((p) => ({ ...p, maxDelayMs: v, minDelayMs: Math.min(p.minDelayMs, v) }))}
          />
          <div className="buttons">
            <Button
              type="button"
              className="primary"
              disabled={starting}
              data-testid="fetch-start"
              onClick={() => {
                void start();
                revealAbove(mainRef.current);
              }}
            >
              Start
            </Button>
          </div>
          <label className="toggle">
            <input
              type="checkbox"
              checked={visible}
              onChange={(e) => {
                const show = e.currentTarget.checked;
                // Showing the panel again does not resume the run it had: that run was cancelled when it unmounted.
                if (show && !visible) setRun(null);
                if (!show) setHiddenMidRun(visible && run !== null && runInFlight.current);
                setVisible(show);
              }}
              data-testid="toggle-panel"
            />
            <span>
              Show panel <span className="muted">(uncheck to unmount it mid-run)</span>
            </span>
          </label>
          {problem !== null && (
            <p role="alert" className="problem">
              {problem}
            </p>
          )}
        </form>
        <div className="fetch-main" ref={mainRef}>
          <section className="server" aria-labelledby="server-title">
            <h3 id="server-title">Mock API counters</h3>
            {stats === null ? (
              <p className="muted">loading…</p>
            ) : (
              <dl className="counters" data-testid="server-stats">
                <Counter label="in flight" value={stats.inFlight} testId="server-inFlight" tone="running" />
                <Counter label="max in flight" value={stats.maxInFlight} testId="server-maxInFlight" />
                <Counter label="total" value={stats.total} testId="server-total" />
                <Counter label="200 ok" value={stats.ok} testId="server-ok" tone="succeeded" />
                <Counter
                  label="429 rate limited"
                  value={stats.rateLimited}
                  testId="server-rateLimited"
                  tone="retrying"
                />
                <Counter label="503 failed" value={stats.failed} testId="server-failed" tone="failed" />
                <Counter label="aborted" value={stats.aborted} testId="server-aborted" tone="cancelled" />
                <Counter
                  label={`max in any ${stats.windowMs} ms / allowed`}
                  value={`${stats.maxInWindow} / ${stats.config.rateLimit}`}
                  testId="server-maxInWindow"
                />
              </dl>
            )}
          </section>
          <Legend queuedText="queued (or waiting for a token)" />
          {visible && run !== null ? (
            <FetchPanel key={run.id} config={run.config} workers={params.workers} onInFlight={onInFlight} />
          ) : (
            <p className="panel-placeholder" data-testid="panel-placeholder">
              {visible
                ? 'Press Start to fan out the requests.'
                : hiddenMidRun
                  ? 'Panel hidden: it unmounted, so its executor shut down with cancelFutures — every request in flight was aborted (see "aborted" above) and no new one starts.'
                  : 'Panel hidden. No run was under way, so nothing was aborted; press Start to run one (it shows the panel again).'}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}

/** Polls `/api/stats` while mounted, from when `after` settles. */
function useServerStats(after: { readonly current: Promise<unknown> }): ServerStats | null {
  const [stats, setStats] = useState<ServerStats | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      try {
        setStats(await fetchStats(controller.signal));
      } catch {
        // a failed poll (or the abort at unmount) just skips a beat
      }
      if (!controller.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    const ready = after.current;
    void ready.then(poll);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [after]);
  return stats;
}
