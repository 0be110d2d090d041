import { createContext, type ReactNode, useContext, useId, useLayoutEffect, useRef, useState } from 'react';

/** Playback speeds: every delay of the demo is divided by the speed (0.1 = ten times slower). */
export const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 4] as const;

const SpeedContext = createContext<number>(1);

/** Provides the speed to every view. */
export function SpeedProvider({ speed, children }: { speed: number; children: ReactNode }) {
  return <SpeedContext.Provider value={speed}>{children}</SpeedContext.Provider>;
}

/** The current speed (1 = real time). */
export function useSpeed(): number {
  return useContext(SpeedContext);
}

/** A ref to the current speed, for task functions that read it when an attempt starts. */
export function useSpeedRef(): { readonly current: number } {
  const speed = useSpeed();
  const ref = useRef(speed);
  useLayoutEffect(() => {
    ref.current = speed;
  }, [speed]);
  return ref;
}

/** `ms` at the current speed, rounded to a whole millisecond. */
export function scaled(ms: number, speed: number): number {
  return Math.round(ms / speed);
}

function label(speed: number): string {
  if (speed < 1) return `${speed}× (slow motion)`;
  if (speed === 1) return '1× (real time)';
  return `${speed}× (fast)`;
}

/** The speed selector of the page header. */
export function SpeedControl({ speed, onChange }: { speed: number; onChange: (speed: number) => void }) {
  const id = useId();
  return (
    <div className="speed">
      <label htmlFor={id}>Speed</label>
      <select id={id} value={String(speed)} onChange={(e) => onChange(Number(e.currentTarget.value))}>
        {SPEEDS.map((s) => (
          <option key={s} value={String(s)}>
            {label(s)}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The speed state of the app, read from `?speed=` once so a link can open the demo in slow motion. */
export function useSpeedState(): [number, (speed: number) => void] {
  return useState(() => {
    const asked = Number(new URLSearchParams(globalThis.location?.search ?? '').get('speed'));
    return (SPEEDS as readonly number[]).includes(asked) ? asked : 1;
  });
}
