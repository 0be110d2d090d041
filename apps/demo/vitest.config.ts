import react from '@vitejs/plugin-react';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@fanout/source', ...defaultClientConditions] },
  // Tests in the Node environment (`// @vitest-environment node`, server rendering) resolve as Vite's SSR:
  // the workspace packages' TypeScript sources there too, not a dist/ that a fresh clone has not built.
  ssr: { resolve: { conditions: ['@fanout/source', ...defaultServerConditions] } },
  test: {
    environment: 'node',
    include: ['mock-api/**/*.test.ts', 'src/**/*.test.{ts,tsx}'],
  },
});
