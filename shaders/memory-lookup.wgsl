// memory-lookup: product-key lookup for every (token t, head h): slot ids, raw scores and softmax weights
// (method.md §1 steps 2-4; Lample et al. 2019). One workgroup per 8 consecutive (t, h) items, one at a time. Scores of each query half against
// the head's nKeys sub-keys go to workgroup memory; per half, 8 invocations each keep a sorted top-K of every
// 8th score and one merges them (both halves at once); the candidate sums s1[i] + s2[j] (slot i_id * nKeys +
// j_id) are ranked the same way, then softmax.
// Invariants: K <= 32, K <= nKeys <= 1024, Dk/2 <= 128. Ties go to the lower index (sub-key index, then
// candidate index i * K + j), so results are deterministic and sorted by score, descending. Candidate (i, j)
// can only make the top-K if (i + 1) * (j + 1) <= K (every (i' <= i, j' <= j) beats or ties it with a lower
// index), so the others are skipped exactly. The N-key table is never formed.
struct Params {
  numTokens : u32,
  heads : u32,
  nKeys : u32,
  halfDim : u32, // Dk / 2
  k : u32,
  _pad0 : u32,
  _pad1 : u32,
  _pad2 : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> queries : array<f32>;       // [T, H, Dk] (already normalised)
@group(0) @binding(2) var<storage, read> subKeys : array<f32>;       // [H, 2, nKeys, Dk / 2]
@group(0) @binding(3) var<storage, read_write> slotIds : array<i32>; // [T, H, K]
@group(0) @binding(4) var<storage, read_write> scores : array<f32>;  // [T, H, K] (s1 + s2 of each slot)
@group(0) @binding(5) var<storage, read_write> weights : array<f32>; // [T, H, K] (softmax of scores)

const WG : u32 = 64u;
const MAX_K : u32 = 32u;
const SELECTORS : u32 = 8u;
const ITEMS_PER_GROUP : u32 = 8u; // (t, h) items per workgroup, in turn: amortises per-workgroup start-up   // invocations that each keep a sorted top-K of every 8th pool entry
const NONE : u32 = 0xffffffffu;
const POOL : u32 = 1024u;     // max(nKeys, K * K)

var<workgroup> query : array<f32, 256>;      // both halves of this (t, h)'s query
var<workgroup> pool : array<f32, 2048>;      // [2, POOL]: both halves' scores; then pool 0 holds the candidate sums
var<workgroup> listVal : array<f32, 512>;    // [2 pools, SELECTORS, MAX_K] partial top-K lists, best first
var<workgroup> listIdx : array<u32, 512>;
var<workgroup> listLen : array<u32, 16>;
var<workgroup> selVal : array<f32, 64>;      // [2 pools, MAX_K] the last selection, best first
var<workgroup> selIdx : array<u32, 64>;
var<workgroup> top1Idx : array<u32, 32>;
var<workgroup> top2Idx : array<u32, 32>;

// (va, ia) ranks before (vb, ib): higher score first, then lower index; NONE ranks last.
fn better(va : f32, ia : u32, vb : f32, ib : u32) -> bool {
  if (ia == NONE) { return false; }
  if (ib == NONE) { return true; }
  return va > vb || (va == vb && ia < ib);
}

// Pool entry e takes part (candidate pruning applies only to the K * K stage).
fn eligible(e : u32, candidates : bool) -> bool {
  if (!candidates) { return true; }
  let i = e / params.k;
  let j = e - i * params.k;
  return (i + 1u) * (j + 1u) <= params.k;
}

// Top-K of pool p's entries [p * POOL, p * POOL + count) into selVal / selIdx [p * MAX_K ..), best first, for
// pools p < numPools at once. Call from uniform control flow. Two barriers in all (a parallel arg-max per rank
// needs about 8 per rank, which dominates on CPU emulators): SELECTORS invocations per pool each
// insertion-sort a private top-K of every SELECTORS-th entry, then one invocation per pool merges them.
fn selectTopK(lid : u32, count : u32, candidates : bool, numPools : u32) {
  let k = params.k;
  if (lid < SELECTORS * numPools) {
    let p = lid / SELECTORS;
    var vals : array<f32, 32>;
    var idxs : array<u32, 32>;
    var n = 0u;
    for (var e = lid % SELECTORS; e < count; e += SELECTORS) {
      if (!eligible(e, candidates)) { continue; }
      let v = pool[p * POOL + e];
      if (n == k && !better(v, e, vals[k - 1u], idxs[k - 1u])) { continue; }
      var q = min(n, k - 1u);
      if (n < k) { n++; }
      while (q > 0u && better(v, e, vals[q - 1u], idxs[q - 1u])) {
        vals[q] = vals[q - 1u];
        idxs[q] = idxs[q - 1u];
        q--;
      }
      vals[q] = v;
      idxs[q] = e;
    }
    for (var i = 0u; i < n; i++) {
      listVal[lid * MAX_K + i] = vals[i];
      listIdx[lid * MAX_K + i] = idxs[i];
    }
    listLen[lid] = n;
  }
  workgroupBarrier();
  if (lid < numPools) {
    let first = lid * SELECTORS; // this pool's lists
    var head : array<u32, 8>;
    for (var r = 0u; r < k; r++) {
      var bestList = NONE;
      var bestVal = 0.0;
      var bestIdx = NONE;
      for (var g = 0u; g < SELECTORS; g++) {
        let list = first + g;
        if (head[g] < listLen[list]) {
          let v = listVal[list * MAX_K + head[g]];
          let i = listIdx[list * MAX_K + head[g]];
          if (better(v, i, bestVal, bestIdx)) {
            bestVal = v;
            bestIdx = i;
            bestList = g;
          }
        }
      }
      selVal[lid * MAX_K + r] = bestVal;
      selIdx[lid * MAX_K + r] = bestIdx;
      if (bestList != NONE) { head[bestList]++; }
    }
  }
  workgroupBarrier();
}

// Scores of both query halves against the head's sub-keys: pool[half * POOL + key].
fn bothHalvesScores(lid : u32, head : u32) {
  let halfDim = params.halfDim;
  let nKeys = params.nKeys;
  for (var e = lid; e < 2u * nKeys; e += WG) {
    let half = e / nKeys;
    let key = e - half * nKeys;
    let row = ((head * 2u + half) * nKeys + key) * halfDim;
    var acc = 0.0;
    for (var d = 0u; d < halfDim; d++) {
      acc += subKeys[row + d] * query[half * halfDim + d];
    }
    pool[half * POOL + key] = acc;
  }
  workgroupBarrier();
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let group = wid.x + wid.y * groups.x;
  for (var n = 0u; n < ITEMS_PER_GROUP; n++) {
    let item = group * ITEMS_PER_GROUP + n; // (t, h) flattened
    if (item >= params.numTokens * params.heads) { break; } // uniform: the whole workgroup leaves
    let head = item % params.heads;
    let k = params.k;
    let dk = 2u * params.halfDim;

    for (var d = lid; d < dk; d += WG) { query[d] = queries[item * dk + d]; }
    workgroupBarrier();

    bothHalvesScores(lid, head);
    selectTopK(lid, params.nKeys, false, 2u);
    // selVal / selIdx hold half 1's top-K at [0, K) and half 2's at [MAX_K, MAX_K + K). Keep the sub-key ids;
    // candidate c = i * K + j sums half 1's i-th and half 2's j-th score.
    if (lid < k) {
      top1Idx[lid] = selIdx[lid];
      top2Idx[lid] = selIdx[MAX_K + lid];
    }
    for (var c = lid; c < k * k; c += WG) {
      let i = c / k;
      pool[c] = selVal[i] + selVal[MAX_K + c - i * k];
    }
    workgroupBarrier();
    selectTopK(lid, k * k, true, 1u);
    if (lid == 0u) {
      let out = item * k;
      let best = selVal[0];
      var total = 0.0;
      for (var r = 0u; r < k; r++) { total += exp(selVal[r] - best); }
      for (var r = 0u; r < k; r++) {
        let c = selIdx[r];
        let i = c / k;
        slotIds[out + r] = i32(top1Idx[i] * params.nKeys + top2Idx[c - i * k]);
        scores[out + r] = selVal[r];
        weights[out + r] = exp(selVal[r] - best) / total;
      }
    }
    workgroupBarrier(); // the next item reuses workgroup memory
  }
}
