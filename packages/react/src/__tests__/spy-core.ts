import type * as Core from '@fanout/core';

/** Every executor and map run built while `@fanout/core` is mocked with {@link spyCore}. */
export const created = {
  executors: [] as Core.AsyncExecutor[],
  runs: [] as Core.MapRun<unknown, unknown>[],
  reset(): void {
    this.executors.length = 0;
    this.runs.length = 0;
  },
};

/**
 * `vi.mock('@fanout/core', async (orig) => (await import('./spy-core.js')).spyCore(await orig()))`:
 * the same core, with constructors that record their instances.
 */
export function spyCore(core: typeof Core): typeof Core {
  class AsyncExecutor extends core.AsyncExecutor {
    constructor(options?: Core.ExecutorOptions) {
      super(options);
      created.executors.push(this);
    }
  }
  class MapRun<I, R, O extends Core.MapOptions> extends core.MapRun<I, R, O> {
    constructor(...args: ConstructorParameters<typeof core.MapRun<I, R, O>>) {
      super(...args);
      created.runs.push(this as unknown as Core.MapRun<unknown, unknown>);
    }
  }
  return { ...core, AsyncExecutor, MapRun };
}
