// value-read: y[t] = sum_h sum_j w[t, h, j] * V[slot[t, h, j]] over all heads (docs/method.md §1 step 4), for the
// rows of one shard of V (the wrapper runs one pass per shard; `accumulate` = 0 on the first pass).
// Algorithm: one workgroup per token; its H * K (slot, weight) pairs are staged in workgroup memory in
// chunks of 64, and each invocation owns column c = strip + lid (strips of 64 columns). Reads are summed in
// (h, j) order.
// Invariants: a slot id outside [0, N) contributes nothing (pads may carry -1); weights are used as given.
struct Params {
  numTokens : u32,
  readsPerToken : u32, // H * K
  dim : u32,           // Dv
  rowStart : u32,      // first slot held by this shard
  rowCount : u32,      // slots held by this shard
  accumulate : u32,    // 1: add to out, 0: overwrite
  _pad0 : u32,
  _pad1 : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> slotIds : array<i32>;    // [T, H, K]
@group(0) @binding(2) var<storage, read> weights : array<f32>;    // [T, H, K]
@group(0) @binding(3) var<storage, read> values : array<f32>;     // [rowCount, Dv], this shard
@group(0) @binding(4) var<storage, read_write> out : array<f32>;  // [T, Dv]

const WG : u32 = 64u;
var<workgroup> chunkOffset : array<i32, 64>; // first float of the row within the shard, or -1
var<workgroup> chunkWeight : array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let token = wid.x + wid.y * groups.x;
  if (token >= params.numTokens) { return; } // uniform: the whole workgroup leaves
  let dim = params.dim;
  let reads = params.readsPerToken;
  for (var strip = 0u; strip < dim; strip += WG) {
    let c = strip + lid;
    var acc = 0.0;
    for (var base = 0u; base < reads; base += WG) {
      let r = base + lid;
      var offset = -1;
      var w = 0.0;
      if (r < reads) {
        let slot = slotIds[token * reads + r];
        if (slot >= i32(params.rowStart) && slot < i32(params.rowStart + params.rowCount)) {
          offset = (slot - i32(params.rowStart)) * i32(dim);
          w = weights[token * reads + r];
        }
      }
      chunkOffset[lid] = offset;
      chunkWeight[lid] = w;
      workgroupBarrier();
      if (c < dim) {
        let n = min(WG, reads - base);
        for (var i = 0u; i < n; i++) {
          let o = chunkOffset[i];
          if (o >= 0) { acc += chunkWeight[i] * values[u32(o) + c]; }
        }
      }
      workgroupBarrier();
    }
    if (c < dim) {
      let o = token * dim + c;
      if (params.accumulate != 0u) { out[o] += acc; } else { out[o] = acc; }
    }
  }
}
