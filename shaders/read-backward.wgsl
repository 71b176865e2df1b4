// read-backward: gradient of the memory read (docs/method.md §1.1; like the reference implementation's atomic-free
// "reverse_indices" scheme). For the U requested slots: rowGrads[u] = sum over reads r of slot u of
// w[r] * dY[token(r)], without a dense N x Dv buffer and without float atomics. Passes (entry points):
// map_slots (slotMap[slot] = u + 1) -> count_reads (integer-atomic count and rank per read) -> scan_offsets
// (one workgroup) -> scatter_reads (reverse index: reads grouped by slot) -> aggregate_rows (one workgroup per
// slot sums its reads) -> unmap_slots (slotMap back to all zeros, so the work never scales with N).
// weight_grads: dWeights[r] = dY[token(r)] . V[slot r], one pass per shard of V.
// Invariants: requested slots are unique and < N; slotMap is all zeros between calls; ids outside [0, N) or
// not requested are ignored. The order of reads inside one slot's sum depends on atomic order (ulp-level only).
struct Params {
  numTokens : u32,
  readsPerToken : u32, // H * K
  dim : u32,           // Dv
  numUnique : u32,     // U
  numSlots : u32,      // N
  rowStart : u32,      // weight_grads: this shard's first slot
  rowCount : u32,
  _pad0 : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> slotIds : array<i32>;              // [T, H, K]
@group(0) @binding(2) var<storage, read> weights : array<f32>;              // [T, H, K]
@group(0) @binding(3) var<storage, read> dY : array<f32>;                   // [T, Dv]
@group(0) @binding(4) var<storage, read> uniqueSlots : array<i32>;          // [U]
@group(0) @binding(5) var<storage, read_write> slotMap : array<atomic<u32>>; // [N], u + 1 or 0
@group(0) @binding(6) var<storage, read_write> segments : array<atomic<u32>>; // [2U]: counts, then offsets
@group(0) @binding(7) var<storage, read_write> work : array<u32>;           // [2R]: rank per read, then reverse index
@group(0) @binding(8) var<storage, read_write> rowGrads : array<f32>;       // [U, Dv]
@group(0) @binding(9) var<storage, read> values : array<f32>;               // [rowCount, Dv], one shard
@group(0) @binding(10) var<storage, read_write> dWeights : array<f32>;      // [T, H, K]

const WG : u32 = 64u;
const SCAN_WG : u32 = 256u;

fn flatIndex(gid : vec3<u32>, groups : vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

fn totalReads() -> u32 {
  return params.numTokens * params.readsPerToken;
}

// slotMap entry for read r (0: not requested or out of range).
fn mappedSlot(r : u32) -> u32 {
  let slot = slotIds[r];
  if (slot < 0 || u32(slot) >= params.numSlots) { return 0u; }
  return atomicLoad(&slotMap[u32(slot)]);
}

@compute @workgroup_size(64)
fn map_slots(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let u = flatIndex(gid, groups);
  if (u >= params.numUnique) { return; }
  atomicStore(&slotMap[u32(uniqueSlots[u])], u + 1u);
  atomicStore(&segments[u], 0u);
}

@compute @workgroup_size(64)
fn count_reads(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let r = flatIndex(gid, groups);
  if (r >= totalReads()) { return; }
  let m = mappedSlot(r);
  if (m == 0u) { return; }
  work[r] = atomicAdd(&segments[m - 1u], 1u);
}

var<workgroup> partial : array<u32, 256>;

// Exclusive prefix sum of the U counts into segments[U ..), by one workgroup: serial chunks, then a
// Hillis-Steele scan of the 256 chunk totals.
@compute @workgroup_size(256)
fn scan_offsets(@builtin(local_invocation_index) lid : u32) {
  let n = params.numUnique;
  let chunk = (n + SCAN_WG - 1u) / SCAN_WG;
  let begin = min(lid * chunk, n);
  let end = min(begin + chunk, n);
  var sum = 0u;
  for (var u = begin; u < end; u++) { sum += atomicLoad(&segments[u]); }
  partial[lid] = sum;
  workgroupBarrier();
  for (var s = 1u; s < SCAN_WG; s <<= 1u) {
    var add = 0u;
    if (lid >= s) { add = partial[lid - s]; }
    workgroupBarrier();
    partial[lid] += add;
    workgroupBarrier();
  }
  var offset = partial[lid] - sum; // exclusive
  for (var u = begin; u < end; u++) {
    atomicStore(&segments[n + u], offset);
    offset += atomicLoad(&segments[u]);
  }
}

@compute @workgroup_size(64)
fn scatter_reads(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let r = flatIndex(gid, groups);
  let total = totalReads();
  if (r >= total) { return; }
  let m = mappedSlot(r);
  if (m == 0u) { return; }
  work[total + atomicLoad(&segments[params.numUnique + m - 1u]) + work[r]] = r;
}

@compute @workgroup_size(64)
fn aggregate_rows(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>,
                  @builtin(local_invocation_index) lid : u32) {
  let u = wid.x + wid.y * groups.x;
  if (u >= params.numUnique) { return; }
  let dim = params.dim;
  let total = totalReads();
  let count = atomicLoad(&segments[u]);
  let begin = total + atomicLoad(&segments[params.numUnique + u]);
  for (var c = lid; c < dim; c += WG) {
    var acc = 0.0;
    for (var e = 0u; e < count; e++) {
      let r = work[begin + e];
      let token = r / params.readsPerToken;
      acc += weights[r] * dY[token * dim + c];
    }
    rowGrads[u * dim + c] = acc;
  }
}

@compute @workgroup_size(64)
fn unmap_slots(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let u = flatIndex(gid, groups);
  if (u >= params.numUnique) { return; }
  atomicStore(&slotMap[u32(uniqueSlots[u])], 0u);
}

@compute @workgroup_size(64)
fn weight_grads(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let r = flatIndex(gid, groups);
  if (r >= totalReads()) { return; }
  let slot = slotIds[r];
  if (slot < i32(params.rowStart) || slot >= i32(params.rowStart + params.rowCount)) { return; }
  let dim = params.dim;
  let src = u32(slot - i32(params.rowStart)) * dim;
  let token = r / params.readsPerToken;
  var acc = 0.0;
  for (var c = 0u; c < dim; c++) { acc += dY[token * dim + c] * values[src + c]; }
  dWeights[r] = acc;
}
