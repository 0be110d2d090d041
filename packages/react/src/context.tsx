'use client';

import type { AsyncExecutor } from '@fanout/core';
import { createContext, type ReactNode, useContext } from 'react';

/** @internal read by the hooks that fall back to the provider's executor */
export const ExecutorContext = createContext<AsyncExecutor | undefined>(undefined);

/** Props of {@link ExecutorProvider}. */
export interface ExecutorProviderProps {
  /** The executor shared by the subtree (the provider never shuts it down). */
  executor: AsyncExecutor;
  children?: ReactNode;
}

/**
 * Share one executor in a subtree: `useMap`, `useAsCompleted` and
 * `useExecutor()` below it run on this pool unless given another.
 *
 * @example
 * const executor = new AsyncExecutor({ maxWorkers: 6 });
 * root.render(<ExecutorProvider executor={executor}><App /></ExecutorProvider>);
 */
export function ExecutorProvider({ executor, children }: ExecutorProviderProps): ReactNode {
  return <ExecutorContext.Provider value={executor}>{children}</ExecutorContext.Provider>;
}

/**
 * The executor of the nearest {@link ExecutorProvider}; throws if there is none.
 *
 * @example
 * const executor = useExecutorContext();
 * const onClick = () => executor.submit(({ signal }) => fetch('/api/ping', { signal }));
 */
export function useExecutorContext(): AsyncExecutor {
  const executor = useContext(ExecutorContext);
  if (executor === undefined) throw new Error('useExecutorContext: no <ExecutorProvider> above this component');
  return executor;
}
