import { useId } from 'react';

interface SliderProps {
  label: string;
  value: number;
  min: number;
  max: number;
  step?: number;
  /** How the value is shown beside the label and announced (`aria-valuetext`). */
  format?: (value: number) => string;
  /** A short note under the control (e.g. "applies to the next run"). */
  hint?: string;
  testId?: string;
  onChange: (value: number) => void;
}

/**
 * A labelled range input with its value shown beside the label. The readout is
 * hidden from assistive technology (a plain span, not an `<output>`, which
 * would be one more `status` on the page): the slider announces the same text
 * through `aria-valuetext`.
 */
export function Slider({ label, value, min, max, step = 1, format = String, hint, testId, onChange }: SliderProps) {
  const id = useId();
  const text = format(value);
  return (
    <div className="field">
      <div className="field-head">
        <label htmlFor={id}>{label}</label>
        <span className="value" aria-hidden="true">
          {text}
        </span>
      </div>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        aria-valuetext={text}
        {...(hint !== undefined ? { 'aria-describedby': `${id}-hint` } : {})}
        {...(testId !== undefined ? { 'data-testid': testId } : {})}
        onChange={(e) => onChange(Number(e.currentTarget.value))}
      />
      {hint !== undefined && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}
