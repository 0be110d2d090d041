'use client';

export { ExecutorProvider, type ExecutorProviderProps, useExecutorContext } from './context.js';
export { type NotifyFunction, setNotifyFunction } from './frame-scheduler.js';
export { type UseAsCompletedResult, useAsCompleted } from './use-as-completed.js';
export { type UseExecutorOptions, type UseExecutorResult, useExecutor } from './use-executor.js';
export { type UseMapResult, useMap } from './use-map.js';
export type { UseMapFn, UseMapOptions } from './use-map-run.js';
export type { Equality } from './use-store.js';
export { withExecutor } from './with-executor.js';
