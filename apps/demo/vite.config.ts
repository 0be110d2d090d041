import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';
import { mockApiPlugin } from './mock-api/plugin.js';

export default defineConfig({
  plugins: [react(), mockApiPlugin()],
  resolve: { conditions: ['@fanout/source', ...defaultClientConditions] },
  server: { port: 5173, strictPort: true, host: '127.0.0.1' },
  preview: { port: 4173, strictPort: true, host: '127.0.0.1' },
  build: {
    // Two pages: the demo, and bench.html (benchmark scenario 6, bench/scenarios/react.mjs; not linked
    // from the demo). `rolldownOptions` is Vite 8's name for `rollupOptions`.
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./bench.html', import.meta.url)),
      },
    },
  },
});
