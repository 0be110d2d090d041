import { useId } from 'react';

/**
 * One live number with its label; `testId` names it for the end-to-end tests.
 * `status`: the value is a live status (role="status", named by the label).
 */
export function Counter({
  label,
  value,
  testId,
  tone,
  status = false,
}: {
  label: string;
  value: number | string;
  testId: string;
  tone?: string;
  status?: boolean;
}) {
  const id = useId();
  return (
    <div className="counter" data-tone={tone}>
      <dt id={status ? id : undefined}>{label}</dt>
      <dd data-testid={testId}>
        {status ? (
          <span role="status" aria-labelledby={id}>
            {value}
          </span>
        ) : (
          value
        )}
      </dd>
    </div>
  );
}
