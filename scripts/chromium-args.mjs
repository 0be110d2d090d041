// The flags this repository launches Chromium with (/work/shared/toolchain.md): Playwright's e2e
// config and the React benchmark both import them from here.

/** @type {string[]} */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
