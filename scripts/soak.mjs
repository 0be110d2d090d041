#!/usr/bin/env node
// Soak test of @fanout/core (issue 7): pushes 1,000,000 tasks (`--quick`: 50,000) through ONE
// executor while injecting faults, then checks fanout's invariants and prints the figures.
//
//   pnpm soak              build core, then the full run (a few minutes on 2 cores)
//   pnpm soak --quick      build core, then ~50,000 tasks (CI; well under 60 s)
//   node scripts/soak.mjs [--quick] [--seed=N]   (needs packages/core/dist: pnpm --filter @fanout/core build)
//
// How it works. This process (the parent) spawns itself as a child with `node --expose-gc
// scripts/soak.mjs --child …`, echoes its output and, once the child has printed its final
// `done` line, gives it EXIT_DEADLINE_MS to exit *by itself*: the child never calls
// process.exit, so a leftover timer, socket or listener would keep it alive and fail the run.
//
// The child wraps globalThis.setTimeout/clearTimeout/setInterval/clearInterval BEFORE importing
// core (core looks them up on globalThis at call time), so every timer core arms is tracked; the
// script's own timers use the original functions and are not counted.
//
// Wave 1 streams tasks (direct `submit`s plus small `map` calls with `maxConcurrency`) keeping at
// most WINDOW outstanding. Each task is sync, microtask, or a short real timer (some ignoring
// their signal), fails 10 % of its attempts, retries 0–3 times with a 0–2 ms delay; some have a
// 2–4 ms timeout, some are cancelled (at once, in a microtask, after a timer, through their own
// AbortSignal), some are awaited or waited on with `result({ timeout })`. Meanwhile a chaos loop
// pauses/resumes and resizes the pool (1–48 workers). Wave 2 queues WAVE2 more tasks and a few big
// maps at once and calls `shutdown({ cancelFutures: true })` when half of them have settled.
//
// Checks (exit code 1 if any fails):
//   - nothing lost: submitted = succeeded + failed + cancelled, by the script's own counts (done
//     callbacks, map results) and by the executor's snapshot, which must agree
//   - no future settled twice: every future's done callback ran exactly once, and every task
//     produced exactly one terminal event
//   - max running ≤ maxWorkers at every moment: counted inside the task functions (an attempt
//     counts until ITS promise settles, even after a timeout/cancel it ignores); every start is
//     checked against the limit in force (resizes honoured), every map against its maxConcurrency;
//     no task starts while paused or after shutdown({ cancelFutures }) was called
//   - heap after GC within 5 MB of the start
//   - zero unhandled rejections
//   - zero core timers pending after shutdown, zero abort listeners left on the signals given
//   - the process exits by itself (checked by the parent)
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SELF), '..');
const CORE = join(ROOT, 'packages', 'core', 'dist', 'index.js');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const EXIT_DEADLINE_MS = 5_000;
const RUN_DEADLINE_MS = QUICK ? 120_000 : 20 * 60_000;

if (argv.includes('--child')) {
  await child();
} else {
  parent();
}

// ---------------------------------------------------------------------------------------------
// Parent: spawn the child with --expose-gc and check that it exits by itself after "done".

function parent() {
  if (!existsSync(CORE)) {
    console.error(`✗ ${CORE} is missing: run \`pnpm --filter @fanout/core build\` (or \`pnpm soak\`, which builds it)`);
    process.exitCode = 1;
    return;
  }
  const started = Date.now();
  const proc = spawn(process.execPath, ['--expose-gc', SELF, '--child', ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let doneAt;
  let exitTimer;
  let buffered = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    if (doneAt === undefined && lines.some((l) => l.startsWith('done'))) {
      doneAt = Date.now();
      exitTimer = setTimeout(() => {
        console.log(
          `✗ process exits by itself: still alive ${EXIT_DEADLINE_MS} ms after "done" (a timer, socket or listener leaked); killing it`,
        );
        process.exitCode = 1;
        proc.kill('SIGKILL');
      }, EXIT_DEADLINE_MS);
    }
  });
  const runTimer = setTimeout(() => {
    console.log(`✗ soak did not finish within ${RUN_DEADLINE_MS / 1000} s; killing it`);
    process.exitCode = 1;
    proc.kill('SIGKILL');
  }, RUN_DEADLINE_MS);
  proc.on('exit', (code, signal) => {
    clearTimeout(runTimer);
    clearTimeout(exitTimer);
    if (doneAt === undefined) {
      console.log(`✗ soak child ended without "done" (code ${code}, signal ${signal})`);
      process.exitCode = 1;
      return;
    }
    if (signal === null) {
      console.log(
        `✓ process exited by itself ${Date.now() - doneAt} ms after "done" (code ${code}); wall time ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    if (code !== 0) process.exitCode = 1;
    console.log(process.exitCode ? 'SOAK FAILED' : 'SOAK PASSED');
  });
}

// ---------------------------------------------------------------------------------------------
// Child: the soak itself.

async function child() {
  // 1. Track every timer core arms. Keep the originals for the script's own waits.
  const real = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
  };
  const pendingTimers = new Set();
  const timerStats = { created: 0, fired: 0, cleared: 0, intervals: 0 };
  globalThis.setTimeout = function setTimeout(fn, ms, ...args) {
    const handle = real.setTimeout(() => {
      pendingTimers.delete(handle);
      timerStats.fired++;
      fn(...args);
    }, ms);
    pendingTimers.add(handle);
    timerStats.created++;
    return handle;
  };
  globalThis.clearTimeout = function clearTimeout(handle) {
    if (pendingTimers.delete(handle)) timerStats.cleared++;
    real.clearTimeout(handle);
  };
  globalThis.setInterval = function setInterval(fn, ms, ...args) {
    const handle = real.setInterval(fn, ms, ...args);
    pendingTimers.add(handle);
    timerStats.intervals++;
    return handle;
  };
  globalThis.clearInterval = function clearInterval(handle) {
    pendingTimers.delete(handle);
    real.clearInterval(handle);
  };

  let unhandled = 0;
  const unhandledSamples = [];
  process.on('unhandledRejection', (reason) => {
    unhandled++;
    if (unhandledSamples.length < 3) unhandledSamples.push(String(reason?.stack ?? reason));
  });

  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc (the parent does)');

  // 2. Only now import core.
  const core = await import(pathToFileURL(CORE).href);
  const { AsyncExecutor, CancelledError, ExecutorShutdownError, TimeoutError } = core;

  // ---- parameters ------------------------------------------------------------------------------
  const seedArg = argv.find((a) => a.startsWith('--seed='));
  const SEED = seedArg ? Number(seedArg.slice(7)) : (Date.now() % 2 ** 31) >>> 0;
  const TOTAL = QUICK ? 50_000 : 1_000_000;
  const WAVE2 = QUICK ? 10_000 : 100_000; // direct submits of wave 2 (plus WAVE2_MAPS maps)
  const WAVE2_MAPS = 4;
  const WAVE2_MAP_SIZE = QUICK ? 500 : 2_000;
  const WAVE1 = TOTAL - WAVE2 - WAVE2_MAPS * WAVE2_MAP_SIZE;
  const WINDOW = 10_000;
  const FAIL_RATE = 0.1;
  const MAX_RESIZE = 48;
  const INITIAL_WORKERS = 16;

  const rng = mulberry32(SEED);
  const randInt = (lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));

  // ---- bookkeeping -----------------------------------------------------------------------------
  const SLOTS = TOTAL + 10_000;
  const doneCount = new Uint8Array(SLOTS); // done callbacks per future (direct submits)
  const terminalEvents = new Uint8Array(SLOTS); // terminal events per task (all tasks)
  const queuedEvents = new Uint8Array(SLOTS);
  let baseId;
  let outOfRange = 0;

  const mine = { submitted: 0, direct: 0, mapItems: 0, succeeded: 0, failed: 0, cancelled: 0 };
  const wrongErrors = [];
  // Core reports what a done callback or listener throws through globalThis.reportError: here, a failure.
  const callbackErrors = [];
  globalThis.reportError = (error) => callbackErrors.push(error);
  const faults = {
    failures: 0, // attempts that threw/rejected on purpose
    timeoutsSeen: 0, // attempts whose signal aborted with TimeoutError
    cancelsRequested: 0,
    cancelsEffective: 0, // cancel() returned true / a task signal aborted a pending task
    signalCancels: 0,
    stubborn: 0, // attempts that ignore their signal
    pauses: 0,
    resizes: 0,
    awaited: 0,
    resultTimeouts: 0,
    submitsRefused: 0,
  };
  const ev = { queued: 0, started: 0, retry: 0, retryAfterTimeout: 0, succeeded: 0, failed: 0, cancelled: 0 };
  const mapEv = { queued: 0, succeeded: 0, failed: 0, cancelled: 0 };

  let running = 0;
  let maxRunning = 0;
  let limitInForce = INITIAL_WORKERS;
  let maxLimit = INITIAL_WORKERS;
  let startsOverLimit = 0;
  let worstOver = 0;
  let paused = false;
  let startsWhilePaused = 0;
  let cancelCalled = false;
  let startsAfterShutdown = 0;
  let mapConcurrencyViolations = 0;
  let mapsResolved = 0;
  let mapItemsOffered = 0;
  let mapResultMismatch = 0;
  let wave2MapsRejected = 0;
  let wave2MapsResolved = 0;
  const mapResultTally = { succeeded: 0, failed: 0, cancelled: 0 };

  function enter() {
    running++;
    if (running > maxRunning) maxRunning = running;
    if (running > limitInForce) {
      startsOverLimit++;
      worstOver = Math.max(worstOver, running - limitInForce);
    }
    if (paused) startsWhilePaused++;
    if (cancelCalled) startsAfterShutdown++;
  }
  function leave() {
    running--;
  }

  class InjectedError extends Error {
    name = 'InjectedError';
  }

  // ---- the executor ---------------------------------------------------------------------------
  const executorSignal = new AbortController().signal; // never aborted: its listener must go at shutdown
  const sharedTaskSignal = new AbortController().signal; // never aborted: given to 5 % of tasks
  const heapStart = await settledHeap();
  const t0 = performance.now();
  const executor = new AsyncExecutor({ maxWorkers: INITIAL_WORKERS, name: 'soak', signal: executorSignal });
  const offEvents = executor.onEvent((e) => {
    const i = e.taskId - (baseId ?? e.taskId);
    if (baseId === undefined) baseId = e.taskId;
    if (i < 0 || i >= SLOTS) {
      outOfRange++;
      return;
    }
    switch (e.type) {
      case 'queued':
        ev.queued++;
        queuedEvents[i]++;
        if (e.name === 'map') mapEv.queued++;
        break;
      case 'started':
        ev.started++;
        break;
      case 'retry':
        ev.retry++;
        if (e.error instanceof TimeoutError) ev.retryAfterTimeout++;
        break;
      default:
        ev[e.type]++;
        terminalEvents[i]++;
        if (e.name === 'map') mapEv[e.type]++;
    }
  });

  const onDone = (f) => {
    const i = f.id - baseId;
    if (i < 0 || i >= SLOTS) {
      outOfRange++;
      return;
    }
    doneCount[i]++;
    if (doneCount[i] > 1) return; // counted as "settled twice" below
    if (!f.done()) wrongErrors.push(`done callback while ${f.state}`);
    const state = f.state;
    mine[state]++;
    if (state === 'failed') {
      const e = f.exception();
      if (!(e instanceof InjectedError) && !(e instanceof TimeoutError) && wrongErrors.length < 5)
        wrongErrors.push(`failed with ${e}`);
    } else if (state === 'cancelled') {
      // exception() of a cancelled future throws its CancelledError, as Python's does.
      let e = 'no error';
      try {
        f.exception();
      } catch (error) {
        e = error;
      }
      if (!(e instanceof CancelledError) && wrongErrors.length < 5) wrongErrors.push(`cancelled with ${e}`);
    }
    outstanding--;
    if (outstanding <= lowWater && wakeSubmitter) {
      const w = wakeSubmitter;
      wakeSubmitter = undefined;
      w();
    }
  };

  // ---- task functions --------------------------------------------------------------------------
  // kinds: 0 sync · 1 microtask · 2 real timer (honours signal) · 3 real timer ignoring the signal
  function pickKind() {
    const r = rng();
    if (r < 0.55) return 0;
    if (r < 0.85) return 1;
    if (r < 0.985) return 2;
    return 3;
  }

  function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        real.clearTimeout(timer);
        if (signal.reason instanceof TimeoutError) faults.timeoutsSeen++;
        reject(signal.reason);
      };
      const timer = real.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
  const stubbornSleep = (ms) => new Promise((resolve) => real.setTimeout(resolve, ms));

  /** Runs one attempt of a task of `kind`; `tick` counts it in and out of `running`. */
  function attempt(kind, ms, ctx, enterFn, leaveFn) {
    enterFn();
    const fail = rng() < FAIL_RATE;
    if (fail) faults.failures++;
    if (kind === 0) {
      leaveFn();
      if (fail) throw new InjectedError('injected failure');
      return ctx.attempt;
    }
    let p;
    if (kind === 1) p = rng() < 0.5 ? Promise.resolve() : Promise.resolve().then(() => undefined);
    else if (kind === 2) p = sleep(ms, ctx.signal);
    else {
      faults.stubborn++;
      p = stubbornSleep(ms);
    }
    return p.then(
      () => {
        leaveFn();
        if (fail) throw new InjectedError('injected failure');
        return ctx.attempt;
      },
      (error) => {
        leaveFn();
        throw error;
      },
    );
  }

  function submitOne() {
    const kind = pickKind();
    const ms = kind >= 2 ? randInt(0, 3) : 0;
    const opts = { retries: randInt(0, 3), retryDelay: randInt(0, 2) };
    let timed = false;
    if (kind >= 2 && rng() < 0.3) {
      opts.timeout = randInt(2, 4);
      timed = true;
    }
    const fn = (ctx) => attempt(kind, timed ? ms + randInt(0, 4) : ms, ctx, enter, leave);
    let ctrl;
    const r = rng();
    if (r < 0.01) {
      ctrl = new AbortController();
      opts.signal = ctrl.signal;
    } else if (r < 0.06) opts.signal = sharedTaskSignal;
    if (rng() < 0.01) opts.priority = randInt(-1, 1);
    let f;
    try {
      f = executor.submit(fn, opts);
    } catch (error) {
      if (!(error instanceof ExecutorShutdownError)) throw error;
      faults.submitsRefused++;
      return undefined;
    }
    if (baseId === undefined) baseId = f.id;
    mine.direct++;
    mine.submitted++;
    outstanding++;
    f.addDoneCallback(onDone);
    // Cancels.
    const c = rng();
    if (c < 0.01) {
      faults.cancelsRequested++;
      if (f.cancel()) faults.cancelsEffective++;
    } else if (c < 0.02) {
      faults.cancelsRequested++;
      queueMicrotask(() => {
        if (f.cancel()) faults.cancelsEffective++;
      });
    } else if (c < 0.03) {
      faults.cancelsRequested++;
      real.setTimeout(
        () => {
          if (f.cancel()) faults.cancelsEffective++;
        },
        randInt(0, 3),
      );
    }
    if (ctrl !== undefined && rng() < 0.5) {
      faults.signalCancels++;
      real.setTimeout(
        () => {
          if (!f.done()) faults.cancelsEffective++;
          ctrl.abort(new Error('caller gave up'));
        },
        randInt(0, 3),
      );
    }
    // Awaiting (the promise path) and result({ timeout }) (its own timer).
    const a = rng();
    if (a < 0.01) {
      faults.awaited++;
      f.then(
        () => {},
        () => {},
      );
    } else if (a < 0.015) {
      faults.resultTimeouts++;
      f.result({ timeout: randInt(0, 3) }).catch(() => {});
    }
    return f;
  }

  /** A small map through the same executor, with its own concurrency limit (checked). */
  function submitMap(size, wave) {
    const maxConcurrency = randInt(1, 4);
    let mapRunning = 0;
    const enterMap = () => {
      enter();
      mapRunning++;
      if (mapRunning > maxConcurrency) mapConcurrencyViolations++;
    };
    const leaveMap = () => {
      leave();
      mapRunning--;
    };
    const kinds = Array.from({ length: size }, () => pickKind());
    const items = Array.from({ length: size }, (_, i) => i);
    mapItemsOffered += size;
    const p = executor.map(
      (i, ctx) => attempt(kinds[i], kinds[i] >= 2 ? randInt(0, 2) : 0, ctx, enterMap, leaveMap),
      items,
      { maxConcurrency, retries: randInt(0, 2), retryDelay: 1, returnExceptions: true, name: 'map' },
    );
    mapsOutstanding++;
    p.then(
      (results) => {
        mapsOutstanding--;
        if (wave === 1) outstanding -= size;
        if (wave === 2) wave2MapsResolved++;
        mapsResolved++;
        if (results.length !== size) mapResultMismatch++;
        for (const r of results) {
          if (r instanceof CancelledError) mapResultTally.cancelled++;
          else if (r instanceof Error) mapResultTally.failed++;
          else mapResultTally.succeeded++;
        }
        if (wave === 1) wakeIfLow();
      },
      (error) => {
        mapsOutstanding--;
        if (wave === 1) {
          outstanding -= size;
          wakeIfLow();
        }
        if (wave === 2 && (error instanceof ExecutorShutdownError || error instanceof CancelledError))
          wave2MapsRejected++;
        else if (wrongErrors.length < 5) wrongErrors.push(`map (wave ${wave}) rejected with ${error}`);
      },
    );
    return size;
  }

  // ---- chaos: pauses, resumes, resizes ----------------------------------------------------------
  let chaosTimer;
  let chaosOn = true;
  function chaos() {
    if (!chaosOn) return;
    const r = rng();
    if (paused) {
      paused = false;
      executor.resume();
    } else if (r < 0.3) {
      faults.pauses++;
      executor.pause();
      paused = true;
    } else if (r < 0.8) {
      faults.resizes++;
      const n = rng() < 0.1 ? 1 : randInt(2, MAX_RESIZE);
      limitInForce = n; // before resize(): growing starts tasks synchronously
      maxLimit = Math.max(maxLimit, n);
      executor.resize(n);
    }
    chaosTimer = real.setTimeout(chaos, paused ? randInt(1, 4) : randInt(2, 12));
  }
  chaosTimer = real.setTimeout(chaos, 5);

  // ---- wave 1: stream WAVE1 tasks, at most WINDOW outstanding ---------------------------------
  let outstanding = 0;
  let mapsOutstanding = 0;
  const lowWater = WINDOW / 2;
  let wakeSubmitter;
  const wakeIfLow = () => {
    if (outstanding <= lowWater && wakeSubmitter) {
      const w = wakeSubmitter;
      wakeSubmitter = undefined;
      w();
    }
  };
  let wave1Submitted = 0;
  let progressAt = performance.now();
  while (wave1Submitted < WAVE1) {
    while (outstanding < WINDOW && wave1Submitted < WAVE1) {
      if (rng() < 0.001 && WAVE1 - wave1Submitted >= 40) {
        const size = randInt(10, 40);
        outstanding += size; // map items are released when the map settles
        wave1Submitted += submitMap(size, 1);
      } else {
        submitOne();
        wave1Submitted++;
      }
    }
    await new Promise((resolve) => {
      wakeSubmitter = resolve;
      wakeIfLow();
    });
    if (performance.now() - progressAt > 10_000) {
      progressAt = performance.now();
      console.log(
        `  … wave 1: ${wave1Submitted.toLocaleString('en-US')} submitted, ${(executor.getSnapshot().succeeded + executor.getSnapshot().failed + executor.getSnapshot().cancelled).toLocaleString('en-US')} settled`,
      );
    }
  }
  await waitUntil(() => mapsOutstanding === 0);
  await executor.onIdle();
  const tWave1 = performance.now();
  const wave1Snapshot = executor.getSnapshot();

  // ---- wave 2: queue everything at once, shut down with cancelFutures half-way -----------------
  const wave2Start = settledCount();
  for (let i = 0; i < WAVE2_MAPS; i++) submitMap(WAVE2_MAP_SIZE, 2);
  for (let i = 0; i < WAVE2; i++) submitOne();
  const wave2Total = WAVE2 + WAVE2_MAPS * WAVE2_MAP_SIZE;
  await waitUntil(() => settledCount() - wave2Start >= wave2Total / 2);
  const settledAtShutdown = settledCount() - wave2Start;
  chaosOn = false;
  real.clearTimeout(chaosTimer);
  cancelCalled = true;
  const shutdownCalledAt = performance.now();
  await executor.shutdown({ cancelFutures: true });
  const shutdownMs = performance.now() - shutdownCalledAt;
  const timersRightAfterShutdown = pendingTimers.size;
  const snapAfterShutdown = executor.getSnapshot();
  // further work must be refused
  for (let i = 0; i < 10; i++) submitOne();
  let mapRefused = false;
  try {
    await executor.map((x) => x, [1]);
  } catch (error) {
    mapRefused = error instanceof ExecutorShutdownError;
  }
  // attempts that ignored their signal still hold their slot; let them finish
  await waitUntil(() => running === 0 && mapsOutstanding === 0);
  await new Promise((resolve) => setImmediate(resolve));
  const tEnd = performance.now();
  const timersAtEnd = pendingTimers.size;
  const listenersLeft =
    getEventListeners(executorSignal, 'abort').length + getEventListeners(sharedTaskSignal, 'abort').length;
  const snap = executor.getSnapshot();
  offEvents();

  // ---- tallies ---------------------------------------------------------------------------------
  mine.mapItems = mapEv.queued;
  mine.submitted = mine.direct + mine.mapItems;
  const total = {
    succeeded: mine.succeeded + mapEv.succeeded,
    failed: mine.failed + mapEv.failed,
    cancelled: mine.cancelled + mapEv.cancelled,
  };
  let settledTwice = 0;
  let neverSettled = 0;
  let twoTerminal = 0;
  let noTerminal = 0;
  const lastIndex = snap.submitted; // ids are consecutive from baseId
  for (let i = 0; i < Math.min(lastIndex, SLOTS); i++) {
    if (queuedEvents[i] !== 1) continue;
    if (terminalEvents[i] > 1) twoTerminal++;
    if (terminalEvents[i] === 0) noTerminal++;
  }
  for (let i = 0; i < SLOTS; i++) {
    if (doneCount[i] > 1) settledTwice++;
  }
  neverSettled = mine.direct - (mine.succeeded + mine.failed + mine.cancelled);

  // ---- heap -------------------------------------------------------------------------------------
  const heapEnd = await settledHeap();
  const heapDelta = heapEnd - heapStart;

  // ---- report -----------------------------------------------------------------------------------
  const n = (x) => x.toLocaleString('en-US');
  const mb = (x) => `${(x / 2 ** 20).toFixed(2)} MB`;
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const rows = [
    ['mode', `${QUICK ? 'quick' : 'full'} (seed ${SEED}), node ${process.version}`],
    [
      'tasks offered',
      `${n(mine.direct + mapItemsOffered)} (direct submits ${n(mine.direct)}, map items ${n(mapItemsOffered)} in ${n(mapsResolved + WAVE2_MAPS)} maps)`,
    ],
    [
      'tasks submitted',
      `${n(mine.submitted)} (wave 1 ${n(wave1Snapshot.submitted)}, wave 2 ${n(mine.submitted - wave1Snapshot.submitted)}); ${n(mapItemsOffered - mine.mapItems)} map items never pulled: the shutdown cancelled their maps`,
    ],
    ['outcomes', `succeeded ${n(total.succeeded)} · failed ${n(total.failed)} · cancelled ${n(total.cancelled)}`],
    [
      'snapshot',
      `submitted ${n(snap.submitted)} · succeeded ${n(snap.succeeded)} · failed ${n(snap.failed)} · cancelled ${n(snap.cancelled)} · queued ${snap.queued} · running ${snap.running} · retrying ${snap.retrying}`,
    ],
    [
      'wave 1 outcomes',
      `succeeded ${n(wave1Snapshot.succeeded)} · failed ${n(wave1Snapshot.failed)} · cancelled ${n(wave1Snapshot.cancelled)}`,
    ],
    [
      'faults injected',
      `${n(faults.failures)} failed attempts (10 %), ${n(faults.timeoutsSeen)} attempt timeouts (${n(ev.retryAfterTimeout)} retried), ${n(faults.cancelsRequested + faults.signalCancels)} cancels (${n(faults.cancelsEffective)} effective), ${n(faults.stubborn)} attempts ignoring their signal`,
    ],
    [
      'chaos',
      `${n(faults.pauses)} pauses, ${n(faults.resizes)} resizes (1–${MAX_RESIZE}), ${n(mapsResolved)} maps + ${WAVE2_MAPS} in wave 2, ${n(faults.awaited)} awaited, ${n(faults.resultTimeouts)} result({ timeout })`,
    ],
    [
      'events',
      `started ${n(ev.started)} · retry ${n(ev.retry)} · succeeded ${n(ev.succeeded)} · failed ${n(ev.failed)} · cancelled ${n(ev.cancelled)}`,
    ],
    [
      'shutdown (wave 2)',
      `cancelFutures after ${n(settledAtShutdown)} of ${n(wave2Total)} settled; resolved in ${shutdownMs.toFixed(1)} ms; ${faults.submitsRefused} submits + map refused after; wave-2 maps: ${wave2MapsRejected} rejected, ${wave2MapsResolved} resolved`,
    ],
    [
      'max running',
      `${maxRunning} (largest limit ${maxLimit}); starts over the limit in force: ${startsOverLimit}; while paused: ${startsWhilePaused}; after shutdown: ${startsAfterShutdown}`,
    ],
    ['heap (after GC)', `start ${mb(heapStart)} → end ${mb(heapEnd)} (${heapDelta >= 0 ? '+' : ''}${mb(heapDelta)})`],
    [
      'core timers',
      `${n(timerStats.created)} armed, ${n(timerStats.fired)} fired, ${n(timerStats.cleared)} cleared; pending after shutdown: ${timersRightAfterShutdown}, at end: ${timersAtEnd}`,
    ],
    ['unhandled rejections', String(unhandled)],
    [
      'time',
      `wave 1 ${s(tWave1 - t0)} · wave 2 ${s(tEnd - tWave1)} · total ${s(tEnd - t0)} (${n(Math.round(mine.submitted / ((tEnd - t0) / 1000)))} tasks/s)`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nfanout soak — ${QUICK ? 'quick' : 'full'}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);

  const checks = [
    [
      'nothing lost: submitted = succeeded + failed + cancelled (own counts)',
      mine.submitted === total.succeeded + total.failed + total.cancelled && neverSettled === 0 && noTerminal === 0,
      `${n(mine.submitted)} = ${n(total.succeeded)} + ${n(total.failed)} + ${n(total.cancelled)}; never settled ${neverSettled}, no terminal event ${noTerminal}`,
    ],
    [
      'snapshot agrees and is idle',
      snap.submitted === mine.submitted &&
        snap.succeeded === total.succeeded &&
        snap.failed === total.failed &&
        snap.cancelled === total.cancelled &&
        snap.queued === 0 &&
        snap.running === 0 &&
        snap.retrying === 0 &&
        snapAfterShutdown.queued + snapAfterShutdown.running + snapAfterShutdown.retrying === 0 &&
        snap.shutdown === true,
      `submitted ${n(snap.submitted)} = ${n(snap.succeeded)} + ${n(snap.failed)} + ${n(snap.cancelled)}`,
    ],
    [
      'map results agree (input order, one entry per item)',
      mapResultMismatch === 0 && mapsResolved + wave2MapsResolved > 0,
      `${mapsResolved} maps resolved, ${mapResultMismatch} with a wrong length; their items: ${n(mapResultTally.succeeded)} ok, ${n(mapResultTally.failed)} failed, ${n(mapResultTally.cancelled)} cancelled`,
    ],
    [
      'no future settled twice',
      settledTwice === 0 && twoTerminal === 0 && outOfRange === 0,
      `done callbacks > 1: ${settledTwice}; terminal events > 1: ${twoTerminal}`,
    ],
    [
      'errors are the right kind',
      wrongErrors.length === 0,
      wrongErrors.join('; ') || 'failed → InjectedError/TimeoutError, cancelled → CancelledError',
    ],
    [
      'no callback threw',
      callbackErrors.length === 0,
      callbackErrors.length === 0 ? '0' : `${callbackErrors.length}, first: ${callbackErrors[0]}`,
    ],
    [
      'max running ≤ maxWorkers at every moment',
      startsOverLimit === 0 && maxRunning <= maxLimit && mapConcurrencyViolations === 0,
      `max ${maxRunning} ≤ ${maxLimit}; over the limit in force at a start: ${startsOverLimit} (worst +${worstOver}); map maxConcurrency exceeded: ${mapConcurrencyViolations}`,
    ],
    ['no start while paused', startsWhilePaused === 0, String(startsWhilePaused)],
    [
      'shutdown({ cancelFutures }) mid-wave: nothing starts after, new work refused',
      startsAfterShutdown === 0 &&
        faults.submitsRefused === 10 &&
        mapRefused &&
        wave2MapsRejected + wave2MapsResolved === WAVE2_MAPS,
      `${startsAfterShutdown} starts after shutdown; 10 submits refused: ${faults.submitsRefused === 10}; map refused: ${mapRefused}`,
    ],
    [
      `heap after GC within 5 MB of the start`,
      Math.abs(heapDelta) <= 5 * 2 ** 20,
      `${heapDelta >= 0 ? '+' : ''}${mb(heapDelta)}`,
    ],
    ['zero unhandled rejections', unhandled === 0, unhandledSamples.join(' | ') || '0'],
    [
      'zero timers pending after shutdown',
      timersRightAfterShutdown === 0 && timersAtEnd === 0 && timerStats.intervals === 0,
      `${timersRightAfterShutdown} right after, ${timersAtEnd} at the end`,
    ],
    ['zero abort listeners left on the given signals', listenersLeft === 0, String(listenersLeft)],
  ];
  console.log('');
  let failedChecks = 0;
  for (const [name, ok, detail] of checks) {
    if (!ok) failedChecks++;
    console.log(`${ok ? '✓' : '✗'} ${name} — ${detail}`);
  }
  if (failedChecks > 0) process.exitCode = 1;
  // No process.exit: the parent checks that nothing keeps this process alive.
  console.log(
    `done in ${s(performance.now() - t0)}: ${failedChecks === 0 ? 'all checks passed' : `${failedChecks} check(s) failed`}`,
  );

  // ---- helpers ---------------------------------------------------------------------------------
  function settledCount() {
    const x = executor.getSnapshot();
    return x.succeeded + x.failed + x.cancelled;
  }

  function waitUntil(cond) {
    return new Promise((resolve) => {
      const poll = () => (cond() ? resolve() : real.setTimeout(poll, 1));
      poll();
    });
  }
}

/** heapUsed after a thorough GC. */
async function settledHeap() {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.gc();
  }
  return process.memoryUsage().heapUsed;
}

/** mulberry32: a small, fast 32-bit seeded PRNG returning floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
