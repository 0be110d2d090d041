import type { ButtonHTMLAttributes, MouseEvent } from 'react';

/**
 * A button that keeps the keyboard focus when it becomes unavailable: `disabled` is shown with
 * `aria-disabled` (screen readers announce it, clicks and Enter do nothing) instead of the native
 * attribute, which would blur a focused button and drop a keyboard user's place to `<body>` — when
 * Start waits for the server, or Cancel greys out because the run finished on its own.
 */
export function Button({ disabled = false, onClick, ...rest }: ButtonHTMLAttributes<HTMLButtonElement>) {
  const click = (e: MouseEvent<HTMLButtonElement>) => {
    if (disabled)
      e.preventDefault(); // also keeps a submit button from submitting its form
    else onClick?.(e);
  };
  return <button type="button" {...rest} aria-disabled={disabled || undefined} onClick={click} />;
}
