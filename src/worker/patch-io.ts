/**
 * Patch export and import for the main model (the file format is src/learn/patch-file.ts). Export writes the
 * selected facts and the rows they left; import checks the whole file before it applies anything, skips facts
 * already taught, and saves what it added. Runs inside the engine's queued jobs.
 */
import { decodePatch, encodePatch } from '../learn/patch-file';
import { writeRows } from '../learn/sparse-learner';
import { postFacts, type EngineParts } from './engine-parts';
import type { StepSummary } from './protocol';
import type { TaughtFact } from './taught-facts';

/** The selected facts and the rows they left (a later selected fact's rows win where two wrote the same slot). */
export async function exportFacts(parts: EngineParts, ids: readonly number[]): Promise<void> {
  const { post, main, taught } = parts;
  const chosen = taught.entries.filter((e) => ids.includes(e.id));
  if (chosen.length === 0) return post({ type: 'import-refused', message: 'Select at least one taught fact to export.' });
  const Dv = main.shape.valueDim;
  const rows = new Map<number, Float32Array>();
  for (const entry of chosen) entry.after.slots.forEach((slot, u) => rows.set(slot, entry.after.rows.subarray(u * Dv, (u + 1) * Dv)));
  const slots = [...rows.keys()];
  const values = new Float32Array(slots.length * Dv);
  slots.forEach((slot, i) => values.set(rows.get(slot)!, i * Dv));
  const bytes = await encodePatch({
    model: main.patchModel,
    facts: chosen.map((e) => ({ ...e.fact, slots: Array.from(e.after.slots) })),
    slots,
    values,
    factRows: chosen.map((e) => e.after.rows), // each fact's own rows, so an import can undo them exactly
  });
  const fileName = `engram-${chosen.length}-fact${chosen.length > 1 ? 's' : ''}.engram`;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  post({ type: 'exported', bytes: buffer, fileName, facts: chosen.length, rows: slots.length });
}

/**
 * Checks the whole file first (decodePatch), then each of its facts joins the list with exactly the rows its own
 * step left (the file carries them, format version 2), and the table is written once with the rows the imported
 * facts leave together.
 */
export async function importPatch(parts: EngineParts, bytes: ArrayBuffer, fileName: string): Promise<void> {
  const { post, main, taught, saver, metrics } = parts;
  const decoded = await decodePatch(bytes, main.patchModel);
  if (!decoded.ok) return post({ type: 'import-refused', message: `${fileName}: ${decoded.message}` });
  const { patch } = decoded;
  const Dv = main.shape.valueDim;
  const entries: TaughtFact[] = [];
  const last = new Map<number, Float32Array>(); // slot -> the row the last imported fact that wrote it left
  let skipped = 0;
  patch.facts.forEach((pf, i) => {
    if (taught.findSame(pf)) {
      skipped++; // importing the same patch twice must not list (or write) its facts twice
      return;
    }
    const slots = Int32Array.from(pf.slots);
    const rows = patch.factRows[i];
    slots.forEach((slot, u) => last.set(slot, rows.subarray(u * Dv, (u + 1) * Dv)));
    const fact = { subject: pf.subject, relation: pf.relation, object: pf.object };
    const step: StepSummary = { method: 'sparse', loss: NaN, ms: 0, paramsTouched: slots.length * Dv };
    entries.push(taught.add({ fact, origin: 'import', after: { slots, rows }, step }));
  });
  const slots = Int32Array.from(last.keys());
  const rows = new Float32Array(slots.length * Dv);
  slots.forEach((slot, u) => rows.set(last.get(slot)!, u * Dv));
  writeRows(main.model, slots, rows);
  await saver.saveNew(main.modelSha, entries);
  post({ type: 'imported', facts: entries.length, rows: slots.length, fileName, skipped });
  if (patch.inexactRows > 0 && entries.length > 1) {
    post({
      type: 'notice',
      message: `${fileName} was written by an earlier version of Engram: in ${patch.inexactRows} rows a later fact of the patch overwrote an earlier one's, and the file does not keep the earlier rows, so undoing such a later fact keeps its rows there. Export the facts again from this version for an exact undo.`,
    });
  }
  if (entries.length === 0) return;
  postFacts(parts);
  await metrics.evaluate();
}
