/** What each task does; the same function serves both variants. */
export type WorkKind = 'instant' | 'macrotask';

/** `instant`: resolves at once (a microtask), like scenario 1's `async (i) => i`. */
const instant = async (i: number): Promise<number> => i;

/**
 * `macrotask`: resolves after one turn of the event loop (a `MessageChannel` message, which is
 * not clamped to 4 ms like a nested `setTimeout(0)`), so completions spread over many tasks and
 * frames instead of landing in one microtask checkpoint.
 */
function macrotaskWork(): (i: number) => Promise<number> {
  const channel = new MessageChannel();
  const pending: (() => void)[] = [];
  let head = 0;
  channel.port1.onmessage = () => {
    const resolve = pending[head];
    pending[head++] = undefined as unknown as () => void;
    resolve?.();
  };
  return (i) =>
    new Promise<number>((resolve) => {
      pending.push(() => resolve(i));
      channel.port2.postMessage(null);
    });
}

export function makeWork(kind: WorkKind): (i: number) => Promise<number> {
  if (kind === 'instant') return instant;
  if (kind === 'macrotask') return macrotaskWork();
  throw new Error(`unknown work kind ${String(kind)}`);
}
