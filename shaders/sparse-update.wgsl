// sparse-update: one plain SGD step on selected value rows only, in place: V[slot[u]] -= lr * grad[u]
// (docs/method.md §2 steps 6-7: no momentum, no weight decay, so unselected rows move exactly zero).
// Algorithm: one invocation per (u, column), for the rows of one shard of V (one pass per shard). The work
// is t * Dv whatever N is. Invariants: slot ids are unique (the wrapper asserts it: duplicates would race);
// ids outside this shard are skipped, so each row is written by exactly one pass.
struct Params {
  numRows : u32,  // t, selected slots
  dim : u32,      // Dv
  rowStart : u32,
  rowCount : u32,
  lr : f32,
  _pad0 : u32,
  _pad1 : u32,
  _pad2 : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> slots : array<i32>;          // [t]
@group(0) @binding(2) var<storage, read> rowGrads : array<f32>;       // [t, Dv]
@group(0) @binding(3) var<storage, read_write> values : array<f32>;   // [rowCount, Dv], this shard

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= params.numRows * params.dim) { return; }
  let u = index / params.dim;
  let c = index - u * params.dim;
  let slot = slots[u];
  if (slot < i32(params.rowStart) || slot >= i32(params.rowStart + params.rowCount)) { return; }
  let dst = u32(slot - i32(params.rowStart)) * params.dim + c;
  values[dst] = values[dst] - params.lr * rowGrads[index];
}
