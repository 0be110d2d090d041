const STATES = [
  // Light grey: a task in the queue (the Q lane), or one that took a worker and waits there for a rate-limit token.
  ['queued', 'queued (Q lane), or holding a worker for a rate-limit token'],
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
