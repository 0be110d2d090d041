import type { MockApiConfig, MockApiStats } from '../../mock-api/server';

/** The mock API's counters, as `GET /api/stats` returns them (the server's own type). */
export type ServerStats = MockApiStats;

/** The mock API's settings (`POST /api/reset` takes any part of them). */
export type ServerConfig = MockApiConfig;

/** One item as the mock API serves it. */
export interface Item {
  id: string;
  value: string;
  servedAt: number;
}

export async function fetchStats(signal?: AbortSignal): Promise<ServerStats> {
  const res = await fetch('/api/stats', signal ? { signal } : {});
  if (!res.ok) throw new Error(`GET /api/stats: HTTP ${res.status}`);
  return (await res.json()) as ServerStats;
}

/** Resets the counters and applies `config` (keys left out take the server's defaults). */
export async function resetServer(config: Partial<ServerConfig>): Promise<ServerStats> {
  const res = await fetch('/api/reset', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  if (!res.ok) throw new Error(`POST /api/reset: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as ServerStats;
}
