// slot-counts: how often each memory slot was read in a batch (the TF term of TF-IDF, docs/method.md §2 step 3).
// Algorithm: one invocation per read (token t, head h, rank j); reads of pad tokens (mask 0) are skipped;
// counts[slot] += 1 with an integer atomic, so duplicate slot ids are exact and order-independent.
// Invariants: slotIds.length = numTokens * readsPerToken; every slot id < numSlots (out-of-range ids are
// ignored and counted in `dropped`, so a bad id is visible instead of corrupting memory).
struct Params {
  numTokens : u32,
  readsPerToken : u32, // H * K
  numSlots : u32,
  _pad : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> slotIds : array<i32>;     // [T, H, K]
@group(0) @binding(2) var<storage, read> tokenMask : array<u32>;   // [T], 1 = real token, 0 = pad
@group(0) @binding(3) var<storage, read_write> counts : array<atomic<u32>>; // [N + 1], last = dropped

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let read = gid.x + gid.y * groups.x * 64u;
  if (read >= params.numTokens * params.readsPerToken) { return; }
  let token = read / params.readsPerToken;
  if (tokenMask[token] == 0u) { return; }
  let slot = slotIds[read];
  if (slot < 0 || u32(slot) >= params.numSlots) {
    atomicAdd(&counts[params.numSlots], 1u);
    return;
  }
  atomicAdd(&counts[u32(slot)], 1u);
}
