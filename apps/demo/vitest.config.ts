import react from '@vitejs/plugin-react';
import { defaultClientConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@fanout/source', ...defaultClientConditions] },
  test: {
    environment: 'node',
    include: ['mock-api/**/*.test.ts', 'src/**/*.test.{ts,tsx}'],
  },
});
