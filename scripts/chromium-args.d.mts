/** The flags this repository launches Chromium with (see chromium-args.mjs). */
export const CHROMIUM_ARGS: string[];
