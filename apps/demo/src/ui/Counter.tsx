/** One live number with its label; `testId` names it for the end-to-end tests. */
export function Counter({
  label,
  value,
  testId,
  tone,
}: {
  label: string;
  value: number | string;
  testId: string;
  tone?: string;
}) {
  return (
    <div className="counter" data-tone={tone}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}
