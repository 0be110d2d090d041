// The floor: the least code that runs `fn(0) … fn(count - 1)` with at most
// `concurrency` calls in flight — `concurrency` async workers pulling the next
// index from a shared counter. Results come back in input order. No queue, no
// per-task object, no bookkeeping: what any pool costs beyond this is its own.

export async function floorMap(fn, count, concurrency) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  const workers = [];
  for (let w = 0; w < Math.min(concurrency, count); w++) workers.push(worker());
  await Promise.all(workers);
  return results;
}
