/** The width below which styles.css stacks a view in one column, the visualisation above the controls. */
const ONE_COLUMN = '(max-width: 820px)';

/**
 * In the one-column layout, scroll `el` (what a button just acted on) to the top of the screen: it sits above
 * the controls there, so a Start pressed below it would otherwise change nothing one can see. Side by side,
 * both are in view already, and nothing moves.
 */
export function revealAbove(el: Element | null): void {
  if (el === null || !globalThis.matchMedia?.(ONE_COLUMN).matches) return;
  const { top } = el.getBoundingClientRect();
  if (top < 0 || top > globalThis.innerHeight / 3) el.scrollIntoView({ block: 'start' });
}
