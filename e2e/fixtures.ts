import type { ConsoleMessage } from '@playwright/test';
import { test as base, expect } from '@playwright/test';

/**
 * Console errors that are expected and not bugs. Chromium logs every non-2xx response as
 * "Failed to load resource: the server responded with a status of …" (source: the resource's
 * URL). The mock API answers 429 and 503 on purpose. (No favicon allowance: index.html
 * declares an empty icon, so the browser never asks for /favicon.ico.)
 */
export const EXPECTED_CONSOLE_ERRORS: readonly { url: RegExp; text: RegExp }[] = [
  { url: /\/api\/items\//, text: /^Failed to load resource: the server responded with a status of (429|503)\b/ },
];

function isExpected(message: ConsoleMessage, extra: readonly RegExp[]): boolean {
  const text = message.text();
  const { url } = message.location();
  return (
    EXPECTED_CONSOLE_ERRORS.some((allowed) => allowed.url.test(url) && allowed.text.test(text)) ||
    extra.some((pattern) => pattern.test(text))
  );
}

interface Fixtures {
  /** Extra patterns of console errors to tolerate in one test: `test.use({ allowedConsoleErrors: [...] })`. */
  allowedConsoleErrors: readonly RegExp[];
  /** Auto fixture: fails the test on any `console.error` or uncaught page error. */
  failOnConsoleErrors: undefined;
}

export const test = base.extend<Fixtures>({
  allowedConsoleErrors: [[], { option: true }],
  failOnConsoleErrors: [
    async ({ context, allowedConsoleErrors }, use, testInfo) => {
      const problems: string[] = [];
      const onConsole = (message: ConsoleMessage): void => {
        const type = message.type();
        // React's development warnings go to console.error (and a few to console.warn).
        const reactWarning = type === 'warning' && /react|warning:/i.test(message.text());
        if ((type === 'error' || reactWarning) && !isExpected(message, allowedConsoleErrors)) {
          const { url, lineNumber } = message.location();
          problems.push(`console.${type}: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
        }
      };
      context.on('console', onConsole);
      context.on('weberror', (webError) => {
        const error = webError.error();
        problems.push(`pageerror: ${error.stack ?? error.message}`);
      });
      await use(undefined);
      if (problems.length > 0) {
        await testInfo.attach('console-errors', { body: problems.join('\n'), contentType: 'text/plain' });
      }
      expect(problems, 'the page logged console errors or threw uncaught errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
