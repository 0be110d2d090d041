const STATES = [
  // Light grey on a lane: a task that took a worker and waits there for a rate-limit token (not the queue: no bar).
  ['queued', 'holding a worker, waiting for a rate-limit token'],
  ['running', 'running'],
  ['retrying', 'failed, will retry'],
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['cancelled', 'cancelled'],
] as const;

/** The colour key of the task states. */
export function Legend({ queuedText }: { queuedText?: string }) {
  return (
    <ul className="legend" aria-label="Colour key">
      {STATES.map(([state, text]) => (
        <li key={state}>
          <span className="swatch" data-state={state} aria-hidden="true" />
          {state === 'queued' && queuedText !== undefined ? queuedText : text}
        </li>
      ))}
    </ul>
  );
}
