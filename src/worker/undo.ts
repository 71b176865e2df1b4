/**
 * Undo and reset of the main model's taught facts. An undo puts back the rows the table held before the fact
 * and teaches the later facts again (taught-facts.ts), all or nothing; only then is the change saved and the
 * model measured. A failed undo leaves the list, the table and storage as they were, and says so. Runs inside
 * the engine's queued jobs.
 */
import { writeRows } from '../learn/sparse-learner';
import { postFacts, type EngineParts } from './engine-parts';
import type { TaughtFact } from './taught-facts';

export async function undoFact(parts: EngineParts, factId: number): Promise<void> {
  const { post, main, taught, saver, metrics } = parts;
  if (!taught.find(factId)) return post({ type: 'notice', message: `Fact #${factId} is not taught (any more); nothing to undo.` });
  const later = taught.size - taught.entries.findIndex((e) => e.id === factId) - 1;
  let done = 0;
  const reteach = async (entry: TaughtFact) => {
    post({ type: 'busy', busy: true, what: `Undoing: teaching again the facts taught after it, ${++done} of ${later}` });
    if (entry.origin === 'import') {
      // An imported fact is its rows, not a learning step: apply them again.
      writeRows(main.model, entry.after.slots, entry.after.rows);
      return { after: entry.after, step: entry.step };
    }
    const { after, step } = await main.step(entry.fact, taught.earlierFor(entry.fact, entry), taught.writtenBefore(entry));
    return { after, step };
  };
  let replayed: TaughtFact[];
  try {
    replayed = await taught.undo(main.model, factId, reteach, (slots) => main.readBaseRows(slots));
  } catch (error) {
    // taught.undo put the list and the table back; nothing was saved, so storage still matches them.
    postFacts(parts);
    const why = error instanceof Error ? error.message : String(error);
    return post({ type: 'notice', message: `Fact #${factId} could not be undone (${why}). Nothing changed: the taught facts, the model and the stored facts are as they were.` });
  }
  // Saved only once the whole undo succeeded.
  await saver.saveUndo(main.modelSha, factId, replayed);
  metrics.trimPoints();
  postFacts(parts);
  await metrics.evaluate();
  if (replayed.length > 0) {
    const n = replayed.length;
    post({ type: 'notice', about: 'taught-facts', message: `Undone; the ${n} fact${n > 1 ? 's' : ''} taught after it ${n > 1 ? 'were' : 'was'} taught again, as if it had never been taught.` });
  }
}

/** Back to the pretrained model: every taught fact forgotten, here and in storage, and the curve started over. */
export async function resetToBase(parts: EngineParts): Promise<void> {
  const { main, taught, saver, metrics } = parts;
  main.resetValues();
  taught.clear();
  await saver.clear();
  metrics.clearPoints();
  postFacts(parts);
  await metrics.evaluate();
}
