// memory-lookup: product-key lookup for every (token t, head h): slot ids, raw scores and softmax weights
// (method.md §1 steps 2-4; Lample et al. 2019). One workgroup per (t, h). Scores of each query half against
// the head's nKeys sub-keys go to workgroup memory; K rounds of a parallel arg-max pick each half's top-K;
// the candidate sums s1[i] + s2[j] (slot i_id * nKeys + j_id) are ranked the same way, then softmax.
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
const MAX_POOL : u32 = 1024u; // max(nKeys, K * K)
const NONE : u32 = 0xffffffffu;

var<workgroup> query : array<f32, 256>;      // both halves of this (t, h)'s query
var<workgroup> pool : array<f32, 1024>;      // one half's scores, then the candidate sums
var<workgroup> taken : array<u32, 32>;       // bit per pool entry already selected
var<workgroup> redVal : array<f32, 64>;
var<workgroup> redIdx : array<u32, 64>;
var<workgroup> selVal : array<f32, 32>;      // the last selection, best first
var<workgroup> selIdx : array<u32, 32>;
var<workgroup> top1Val : array<f32, 32>;
var<workgroup> top1Idx : array<u32, 32>;
var<workgroup> top2Idx : array<u32, 32>;

// (va, ia) ranks before (vb, ib): higher score first, then lower index; NONE ranks last.
fn better(va : f32, ia : u32, vb : f32, ib : u32) -> bool {
  if (ia == NONE) { return false; }
  if (ib == NONE) { return true; }
  return va > vb || (va == vb && ia < ib);
}

fn isTaken(e : u32) -> bool {
  return (taken[e >> 5u] & (1u << (e & 31u))) != 0u;
}

// Pool entry e takes part (candidate pruning applies only to the K * K stage).
fn eligible(e : u32, count : u32, candidates : bool) -> bool {
  if (e >= count || isTaken(e)) { return false; }
  if (!candidates) { return true; }
  let i = e / params.k;
  let j = e - i * params.k;
  return (i + 1u) * (j + 1u) <= params.k;
}

// Best eligible pool entry among those this invocation owns (e = lid, lid + WG, ...).
fn localBest(lid : u32, count : u32, candidates : bool) -> vec2<u32> {
  var bestVal = 0.0;
  var bestIdx = NONE;
  for (var e = lid; e < count; e += WG) {
    if (eligible(e, count, candidates) && better(pool[e], e, bestVal, bestIdx)) {
      bestVal = pool[e];
      bestIdx = e;
    }
  }
  return vec2<u32>(bitcast<u32>(bestVal), bestIdx);
}

// Top-K of pool[0 .. count) into selVal / selIdx, best first. Call from uniform control flow.
fn selectTopK(lid : u32, count : u32, candidates : bool) {
  if (lid < 32u) { taken[lid] = 0u; }
  workgroupBarrier();
  var mine = localBest(lid, count, candidates);
  for (var r = 0u; r < params.k; r++) {
    redVal[lid] = bitcast<f32>(mine.x);
    redIdx[lid] = mine.y;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
      if (lid < s && better(redVal[lid + s], redIdx[lid + s], redVal[lid], redIdx[lid])) {
        redVal[lid] = redVal[lid + s];
        redIdx[lid] = redIdx[lid + s];
      }
      workgroupBarrier();
    }
    let winner = redIdx[0];
    if (lid == 0u) {
      selVal[r] = redVal[0];
      selIdx[r] = winner;
    }
    workgroupBarrier(); // everyone has read redIdx[0] before the next round overwrites it
    if (winner != NONE && winner % WG == lid) {
      taken[winner >> 5u] |= 1u << (winner & 31u); // only the owner writes, one owner per round
      mine = localBest(lid, count, candidates);
    }
  }
  workgroupBarrier();
}

// Scores of query half `half` against the head's sub-keys, into pool[0 .. nKeys).
fn halfScores(lid : u32, head : u32, half : u32) {
  let halfDim = params.halfDim;
  let tableBase = (head * 2u + half) * params.nKeys * halfDim;
  for (var key = lid; key < params.nKeys; key += WG) {
    let row = tableBase + key * halfDim;
    var acc = 0.0;
    for (var d = 0u; d < halfDim; d++) {
      acc += subKeys[row + d] * query[half * halfDim + d];
    }
    pool[key] = acc;
  }
  workgroupBarrier();
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>,
        @builtin(local_invocation_index) lid : u32) {
  let item = wid.x + wid.y * groups.x; // (t, h) flattened
  if (item >= params.numTokens * params.heads) { return; } // uniform: the whole workgroup leaves
  let head = item % params.heads;
  let k = params.k;
  let dk = 2u * params.halfDim;

  for (var d = lid; d < dk; d += WG) { query[d] = queries[item * dk + d]; }
  workgroupBarrier();

  halfScores(lid, head, 0u);
  selectTopK(lid, params.nKeys, false);
  if (lid < k) {
    top1Val[lid] = selVal[lid];
    top1Idx[lid] = selIdx[lid];
  }
  workgroupBarrier();

  halfScores(lid, head, 1u);
  selectTopK(lid, params.nKeys, false);
  // selVal / selIdx now hold half 2's top-K; keep its ids before the candidate selection overwrites them.
  // Candidate c = i * K + j sums half 1's i-th and half 2's j-th score.
  if (lid < k) { top2Idx[lid] = selIdx[lid]; }
  for (var c = lid; c < k * k; c += WG) {
    let i = c / k;
    pool[c] = top1Val[i] + selVal[c - i * k];
  }
  workgroupBarrier();
  selectTopK(lid, k * k, true);
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
}
