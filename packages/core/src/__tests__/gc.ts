/** A real garbage collection for the reference tests: `--expose-gc` set at run time, `gc` taken from a new context. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * True once nothing but `ref` holds its target. A `WeakRef`'s target stays alive until the end of the
 * job that created or read it, so collect on a later turn of the event loop, twice.
 */
export async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
  }
  return ref.deref() === undefined;
}

/** A value worth collecting (1 KiB), with a method a task can call on it. */
export class Payload {
  readonly bytes = new Uint8Array(1024);
  method(): number {
    return this.bytes.length;
  }
}
