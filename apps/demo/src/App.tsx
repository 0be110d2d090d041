import { useSyncExternalStore } from 'react';
import { FetchView } from './fetch/FetchView';
import { OrderView } from './order/OrderView';
import { SpeedControl, SpeedProvider, useSpeedState } from './speed';
import { WorkersView } from './workers/WorkersView';

const VIEWS = [
  { id: 'workers', title: 'Workers', Component: WorkersView },
  { id: 'order', title: 'map vs asCompleted', Component: OrderView },
  { id: 'fetch', title: 'Fetch fan-out', Component: FetchView },
] as const;

type ViewId = (typeof VIEWS)[number]['id'];

function subscribeHash(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

function currentView(): ViewId {
  const id = window.location.hash.slice(1);
  return VIEWS.some((v) => v.id === id) ? (id as ViewId) : 'workers';
}

/** The demo: a header with the speed control, one view at a time chosen by the URL hash (#workers, #order, #fetch). */
export function App() {
  const [speed, setSpeed] = useSpeedState();
  const view = useSyncExternalStore(subscribeHash, currentView, () => 'workers' as ViewId);
  const { Component } = VIEWS.find((v) => v.id === view) ?? VIEWS[0];
  return (
    <SpeedProvider speed={speed}>
      <header className="site-header">
        <div className="brand">
          <h1>fanout</h1>
          <p>an async executor: a worker pool with retries, rate limits and cancellation that reaches into fetch</p>
        </div>
        <SpeedControl speed={speed} onChange={setSpeed} />
      </header>
      <nav className="tabs" aria-label="Views">
        {VIEWS.map((v) => (
          <a key={v.id} href={`#${v.id}`} aria-current={v.id === view ? 'page' : undefined}>
            {v.title}
          </a>
        ))}
      </nav>
      <main>
        <Component key={view} />
      </main>
    </SpeedProvider>
  );
}
