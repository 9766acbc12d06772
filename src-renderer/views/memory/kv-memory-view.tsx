import { Handoffs } from './handoffs.js';
import { PagedMemory } from './paged-memory.js';
import { SlotMap } from './slot-map.js';
import { SwapLog, SwappedStates } from './swap-tables.js';

/** KV Memory: the slot map, swapped states, swap activity, handoffs and paged memory. */
export function KvMemoryView() {
  return (
    <div className="view-tiles kv-memory-view">
      <SlotMap />
      <SwappedStates />
      <SwapLog />
      <Handoffs />
      <PagedMemory />
    </div>
  );
}
