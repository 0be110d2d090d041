/** The mock API's counters (see apps/demo/mock-api/server.ts). */
export interface ServerStats {
  inFlight: number;
  maxInFlight: number;
  total: number;
  ok: number;
  rateLimited: number;
  failed: number;
  aborted: number;
  maxInWindow: number;
  windowMs: number;
  config: ServerConfig;
}

export interface ServerConfig {
  rateLimit: number;
  rateInterval: number;
  failureRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  seed: number | null;
}

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
