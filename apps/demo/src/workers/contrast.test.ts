import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blend, contrast, DARK_INK, inkFor } from './contrast';

const css = readFileSync(new URL('../styles.css', import.meta.url), 'utf8');
/** A colour variable of styles.css's `:root`. */
function cssVar(name: string): string {
  const value = new RegExp(`--${name}:\\s*(#[0-9a-f]{6});`, 'i').exec(css)?.[1];
  if (value === undefined) throw new Error(`styles.css has no --${name}`);
  return value;
}

/** The states whose bars carry an attempt number, and the alpha timeline.ts draws each at. */
const FILLS = [
  ['retrying', 1],
  ['succeeded', 1],
  ['failed', 1],
  ['cancelled', 0.6],
] as const;
const TRACK = cssVar('track');

describe('attempt labels on the lanes', () => {
  it('computes WCAG contrast and alpha blending', () => {
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrast('#e29b12', '#ffffff')).toBeCloseTo(2.35, 2); // what the review measured
    expect(blend('#7b8190', 0.6, TRACK)).toBe('#aaafb9');
  });

  it('puts dark ink on the light fills (amber, green, a cancelled bar) and white on red', () => {
    expect(inkFor('#e29b12', 1, TRACK)).toBe(DARK_INK);
    expect(inkFor('#1f9d55', 1, TRACK)).toBe(DARK_INK);
    expect(inkFor('#7b8190', 0.6, TRACK)).toBe(DARK_INK);
    expect(inkFor('#d23f3f', 1, TRACK)).toBe('#ffffff');
  });

  it.each(FILLS)('reads at 4.5:1 or more on a %s bar (styles.css colours)', (state, alpha) => {
    const fill = cssVar(state);
    const shown = blend(fill, alpha, TRACK);
    expect(contrast(inkFor(fill, alpha, TRACK), shown)).toBeGreaterThanOrEqual(4.5);
  });
});
