/**
 * Splits a 1-D launch of `invocations` threads into a 2-D workgroup grid, because one dispatch dimension
 * is capped at maxComputeWorkgroupsPerDimension (65,535 by default). Kernels recover the flat index as
 * gid.x + gid.y * num_workgroups.x * workgroupSize.
 */
export function dispatchSize(invocations: number, workgroupSize: number, maxPerDimension = 65535): [number, number] {
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  if (groups <= maxPerDimension) return [groups, 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y];
}
