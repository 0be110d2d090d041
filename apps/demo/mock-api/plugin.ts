/**
 * Vite plugin: serves the mock API (`./server.ts`) from the dev server (`vite`) and the
 * preview server (`vite preview`). Both bind 127.0.0.1 (see vite.config.ts); the middleware
 * also refuses non-loopback clients.
 */
import type { Plugin } from 'vite';
import type { MockApi, MockApiOptions } from './server.js';
import { createMockApi } from './server.js';

export interface MockApiPlugin extends Plugin {
  /** The API instance the servers use (its state is shared by dev and preview in one process). */
  readonly api: MockApi;
}

export function mockApiPlugin(options: MockApiOptions = {}): MockApiPlugin {
  const api = createMockApi(options);
  return {
    name: 'fanout:mock-api',
    api,
    configureServer(server) {
      server.middlewares.use(api.middleware);
      server.httpServer?.once('close', () => api.close());
    },
    configurePreviewServer(server) {
      server.middlewares.use(api.middleware);
      server.httpServer.once('close', () => api.close());
    },
  };
}
