/**
 * The taught facts and this browser's storage, at the engine's level: restoring them at start and after a lost
 * device, taking over saving from another tab, and the facts stored for an earlier checkpoint (offered to teach
 * again, or discarded). The store itself, its lock and each write are fact-persistence.ts's. Every method that
 * changes the model runs inside one of the engine's queued jobs.
 */
import type { SerialQueue } from './serial-queue';
import { postFacts, type EngineParts } from './engine-parts';
import type { EarlierFact } from './fact-store';
import { teachAgain } from './teaching';
import { describeFact, type TaughtFact } from './taught-facts';

export class PersistenceCoordinator {
  /** Facts stored for an earlier checkpoint, as text, offered to teach again. */
  private earlier: EarlierFact[] = [];

  constructor(private readonly parts: EngineParts) {}

  /** The stored facts for this checkpoint that are safe to replay, or null when there are none or they cannot be read. */
  async loadStored(): Promise<TaughtFact[] | null> {
    const { main, saver, post } = this.parts;
    const { facts, events, earlier } = await saver.load(main.modelSha, main.shape, describeFact);
    for (const event of events) post(event);
    this.earlier = earlier;
    this.postEarlier();
    return facts;
  }

  /** At start: the stored facts join the list and their rows are written, in one job on `queue`. */
  async restoreStored(queue: SerialQueue): Promise<void> {
    const { taught, main, post } = this.parts;
    const facts = await this.loadStored();
    if (!facts) return;
    await queue.run(async () => {
      for (const entry of facts) taught.add(entry);
      taught.replayRows(main.model);
      postFacts(this.parts);
    });
    post({ type: 'notice', about: 'taught-facts', message: `Restored ${facts.length} taught fact${facts.length > 1 ? 's' : ''} from this browser's storage.` });
  }

  /**
   * After the backend was rebuilt (lost device), on the new model: the taught facts from IndexedDB (or, when
   * storage failed, from memory: the rows are host copies either way).
   */
  async restoreAfterLoss(): Promise<void> {
    const { taught, main } = this.parts;
    const inMemory = [...taught.entries];
    taught.clear();
    const stored = await this.loadStored();
    const measured = new Map(inMemory.map((e) => [e.id, e]));
    for (const entry of stored ?? inMemory) {
      // Storage keeps rows, not measurements: carry the last recall over until the next evaluation.
      const known = measured.get(entry.id);
      taught.add({ ...entry, recalled: known?.recalled, logprob: known?.logprob, answer: known?.answer });
    }
    taught.replayRows(main.model);
    postFacts(this.parts);
  }

  postEarlier(): void {
    const models = [...new Set(this.earlier.map((e) => e.modelSha))];
    this.parts.post({ type: 'earlier-facts', facts: this.earlier.map((e) => e.fact), models, current: this.parts.main.modelSha, canReteach: this.parts.saver.saving });
  }

  /**
   * Makes this page the one that saves: the stored history (taught in the other tab) becomes this page's, and
   * the facts taught here that were not saved are taught again on top of it and saved.
   */
  async takeOver(): Promise<void> {
    const { saver, taught, main, metrics, post } = this.parts;
    if (saver.saving) return;
    await saver.takeOver();
    const mine = taught.entries.filter((e) => saver.isUnsaved(e.id));
    saver.forgetUnsaved();
    main.resetValues();
    taught.clear();
    const stored = (await this.loadStored()) ?? [];
    for (const entry of stored) taught.add(entry);
    taught.replayRows(main.model);
    postFacts(this.parts);
    const again = await teachAgain(this.parts, mine, 'Teaching again the facts taught here');
    metrics.clearPoints();
    await metrics.evaluate();
    const plural = (n: number) => `${n} fact${n === 1 ? '' : 's'}`;
    post({
      type: 'notice',
      about: 'taught-facts',
      message: `This tab now saves the taught facts: ${plural(stored.length)} restored from storage${mine.length > 0 ? `, and the ${plural(again)} taught here that had not been saved taught again on top of them and saved` : ''}.`,
    });
  }

  /** Teaches the facts stored for an earlier checkpoint again on this one (a learning step each; their rows are never applied). */
  async reteachEarlier(): Promise<void> {
    const { saver, metrics, post } = this.parts;
    if (this.earlier.length === 0) return;
    if (!saver.saving) return post({ type: 'notice', message: 'Facts of an earlier model can be taught again only in the tab that saves taught facts.' });
    const items = this.earlier.map((e) => ({ fact: e.fact, origin: e.origin === 'import' ? ('typed' as const) : e.origin }));
    const again = await teachAgain(this.parts, items, 'Teaching again the facts of the earlier model', (left) => (this.earlier = this.earlier.slice(this.earlier.length - left)));
    this.earlier = [];
    this.postEarlier();
    await metrics.evaluate();
    post({ type: 'notice', about: 'taught-facts', message: `Taught ${again} fact${again === 1 ? '' : 's'} of the earlier model again on this one and saved ${again === 1 ? 'it' : 'them'}.` });
  }

  async discardEarlier(): Promise<void> {
    const { saver, main, post } = this.parts;
    if (!saver.saving) return post({ type: 'notice', message: 'Facts of an earlier model can be discarded only in the tab that saves taught facts.' });
    this.earlier = [];
    await saver.saveEarlier(main.modelSha, []);
    this.postEarlier();
  }
}
