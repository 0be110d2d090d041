/** The dark label colour: on the demo's light fills (amber, green, a cancelled bar's tint) it reaches 5:1 or more. */
export const DARK_INK = '#0d1117';
const WHITE = '#ffffff';

type Rgb = readonly [number, number, number];

function parseHex(colour: string): Rgb | undefined {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour.trim());
  return m === null
    ? undefined
    : [Number.parseInt(m[1] ?? '', 16), Number.parseInt(m[2] ?? '', 16), Number.parseInt(m[3] ?? '', 16)];
}

/** WCAG 2 relative luminance. */
function luminance([r, g, b]: Rgb): number {
  const channel = (c: number): number => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const la = luminance(parseHex(a) ?? [0, 0, 0]);
  const lb = luminance(parseHex(b) ?? [0, 0, 0]);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** `fill` drawn at `alpha` over `backdrop`, as a `#rrggbb` colour (`fill` itself if either is not one). */
export function blend(fill: string, alpha: number, backdrop: string): string {
  const f = parseHex(fill);
  const b = parseHex(backdrop);
  if (f === undefined || b === undefined) return fill;
  const hex = (i: 0 | 1 | 2): string =>
    Math.round(f[i] * alpha + b[i] * (1 - alpha))
      .toString(16)
      .padStart(2, '0');
  return `#${hex(0)}${hex(1)}${hex(2)}`;
}

/** The label colour, white or dark, that reads best on `fill` drawn at `alpha` over `backdrop`. */
export function inkFor(fill: string, alpha: number, backdrop: string): string {
  const shown = blend(fill, alpha, backdrop);
  return contrast(shown, WHITE) >= contrast(shown, DARK_INK) ? WHITE : DARK_INK;
}
