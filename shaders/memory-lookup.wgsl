// memory-lookup: product-key lookup for every (token t, head h): slot ids, raw scores and softmax weights
// (docs/method.md §1 steps 2-4; Lample et al. 2019). Two passes, no workgroup memory and no barriers:
// score_keys: one invocation per (item, half, sub-key) writes s1 / s2 into a scratch buffer;
// select_slots: one invocation per item keeps a sorted top-K of each half (insertion into a private list), then
// of the candidate sums s1[i] + s2[j] (slot i_id * nKeys + j_id), then softmax.
// Invariants: K <= 32, K <= nKeys. Ties go to the lower index (sub-key index, then candidate index i * K + j),
// so results are deterministic and sorted by score, descending. Candidate (i, j) can only make the top-K if
// (i + 1) * (j + 1) <= K (every (i' <= i, j' <= j) beats or ties it with a lower index), so only those are
// visited. The N-key table is never formed. Items run in chunks [itemStart, itemStart + itemCount).
struct Params {
  numTokens : u32,
  heads : u32,
  nKeys : u32,
  halfDim : u32, // Dk / 2
  k : u32,
  itemStart : u32,
  itemCount : u32,
  _pad0 : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> queries : array<f32>;         // [T, H, Dk] (already normalised)
@group(0) @binding(2) var<storage, read> subKeys : array<f32>;         // [H, 2, nKeys, Dk / 2]
@group(0) @binding(3) var<storage, read_write> slotIds : array<i32>;   // [T, H, K]
@group(0) @binding(4) var<storage, read_write> scores : array<f32>;    // [T, H, K] (s1 + s2 of each slot)
@group(0) @binding(5) var<storage, read_write> weights : array<f32>;   // [T, H, K] (softmax of scores)
@group(0) @binding(6) var<storage, read_write> halfScores : array<f32>; // [itemCount, 2, nKeys] scratch

const WG : u32 = 64u;
const NONE : u32 = 0xffffffffu;

fn flatIndex(gid : vec3<u32>, groups : vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

@compute @workgroup_size(64)
fn score_keys(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let index = flatIndex(gid, groups);
  let nKeys = params.nKeys;
  if (index >= params.itemCount * 2u * nKeys) { return; }
  let local = index / (2u * nKeys);
  let rest = index - local * 2u * nKeys;
  let half = rest / nKeys;
  let key = rest - half * nKeys;
  let item = params.itemStart + local;
  let head = item % params.heads;
  let halfDim = params.halfDim;
  let q = (item * 2u + half) * halfDim;
  let row = ((head * 2u + half) * nKeys + key) * halfDim;
  var acc = 0.0;
  for (var d = 0u; d < halfDim; d++) {
    acc += subKeys[row + d] * queries[q + d];
  }
  halfScores[index] = acc;
}

// (va, ia) ranks before (vb, ib): higher score first, then lower index; NONE ranks last.
fn better(va : f32, ia : u32, vb : f32, ib : u32) -> bool {
  if (ia == NONE) { return false; }
  if (ib == NONE) { return true; }
  return va > vb || (va == vb && ia < ib);
}

// Insert (v, e) into the sorted list (vals, idxs) of length n <= K; returns the new length.
fn insert(vals : ptr<function, array<f32, 32>>, idxs : ptr<function, array<u32, 32>>, n : u32, v : f32, e : u32) -> u32 {
  let k = params.k;
  if (n == k && !better(v, e, (*vals)[k - 1u], (*idxs)[k - 1u])) { return n; }
  var p = min(n, k - 1u);
  while (p > 0u && better(v, e, (*vals)[p - 1u], (*idxs)[p - 1u])) {
    (*vals)[p] = (*vals)[p - 1u];
    (*idxs)[p] = (*idxs)[p - 1u];
    p--;
  }
  (*vals)[p] = v;
  (*idxs)[p] = e;
  return min(n + 1u, k);
}

@compute @workgroup_size(64)
fn select_slots(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let local = flatIndex(gid, groups);
  if (local >= params.itemCount) { return; }
  let item = params.itemStart + local;
  let k = params.k;
  let nKeys = params.nKeys;
  var v1 : array<f32, 32>;
  var i1 : array<u32, 32>;
  var v2 : array<f32, 32>;
  var i2 : array<u32, 32>;
  var n1 = 0u;
  var n2 = 0u;
  let base = local * 2u * nKeys;
  for (var key = 0u; key < nKeys; key++) {
    n1 = insert(&v1, &i1, n1, halfScores[base + key], key);
    n2 = insert(&v2, &i2, n2, halfScores[base + nKeys + key], key);
  }
  var best : array<f32, 32>;
  var cand : array<u32, 32>;
  var n = 0u;
  for (var i = 0u; i < k; i++) {
    for (var j = 0u; (i + 1u) * (j + 1u) <= k; j++) {
      n = insert(&best, &cand, n, v1[i] + v2[j], i * k + j);
    }
  }
  let out = item * k;
  let top = best[0];
  var total = 0.0;
  for (var r = 0u; r < k; r++) { total += exp(best[r] - top); }
  for (var r = 0u; r < k; r++) {
    let i = cand[r] / k;
    slotIds[out + r] = i32(i1[i] * nKeys + i2[cand[r] - i * k]);
    scores[out + r] = best[r];
    weights[out + r] = exp(best[r] - top) / total;
  }
}
