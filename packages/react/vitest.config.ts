import { defaultClientConditions, defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@fanout/source', ...defaultClientConditions] },
  // Tests in the Node environment (`// @vitest-environment node`, server rendering) resolve as Vite's SSR:
  // the workspace packages' TypeScript sources there too, not a dist/ that a fresh clone has not built.
  ssr: { resolve: { conditions: ['@fanout/source', ...defaultServerConditions] } },
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.{ts,tsx}'],
    exclude: [...configDefaults.exclude, 'src/**/*.browser.test.{ts,tsx}'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.{ts,tsx}'] },
  },
});
