import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';
import { mockApiPlugin } from './mock-api/plugin.js';

export default defineConfig({
  plugins: [react(), mockApiPlugin()],
  resolve: { conditions: ['@fanout/source', ...defaultClientConditions] },
  server: { port: 5173, strictPort: true, host: '127.0.0.1' },
  preview: { port: 4173, strictPort: true, host: '127.0.0.1' },
});
