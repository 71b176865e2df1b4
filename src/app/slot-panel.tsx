/**
 * The memory as the sqrt(N) x sqrt(N) product-key grid, fed by the latest step, and what one slot is: which
 * taught facts changed it, its idf against the pretraining background, and the held-out tokens that read it.
 */
import { memo } from 'react';
import type { EngineState } from './engine-state';
import { SlotMap } from './slot-map';

type SlotPanelProps = Pick<EngineState, 'lastStep' | 'changedSlots' | 'slotInfo'> & { memorySlots?: number; onSelectSlot(slot: number): void };

/** Memoised on its own data so the map (262,144 cells on the shipped model) is recomputed only when a step or the selection changes. */
export const SlotPanel = memo(function SlotPanel({ lastStep, changedSlots, slotInfo, memorySlots, onSelectSlot }: SlotPanelProps) {
  const side = memorySlots ? Math.round(Math.sqrt(memorySlots)) : 256;
  return (
    <section className="panel slots" data-testid="slot-panel" data-top-slot={lastStep?.slots.selected[0]}>
      <h2>Memory slots</h2>
      <p className="muted">
        All {(side * side).toLocaleString('en-US')} slots as the {side} x {side} product-key grid: what the latest fact read, the top{' '}
        {lastStep ? lastStep.slots.selected.length : 't'} rows it wrote, and every slot changed so far. Click a slot (or use the arrow keys) to inspect it.
      </p>
      <SlotMap
        side={side}
        reads={lastStep ? { slots: lastStep.slots.readSlots, values: lastStep.slots.readCounts } : undefined}
        tfidf={lastStep ? { slots: lastStep.slots.selected, values: lastStep.slots.scores } : undefined}
        selected={lastStep?.slots.selected}
        updateNorms={lastStep?.slots.updateNorms}
        changed={changedSlots}
        selectedSlot={slotInfo?.slot}
        onSelectSlot={onSelectSlot}
      />
      <p className="muted" data-testid="slot-counts">
        {lastStep ? `${lastStep.slots.readSlots.length.toLocaleString('en-US')} slots read by the latest fact, ${lastStep.slots.selected.length} written; ` : ''}
        <span data-testid="changed-count">{changedSlots.length.toLocaleString('en-US')}</span> slots changed so far.
      </p>
      {slotInfo && (
        <div className="slot-info" data-testid="slot-info">
          <h3>
            Slot {slotInfo.slot} <span className="muted">(row {Math.floor(slotInfo.slot / side)}, column {slotInfo.slot % side})</span>
          </h3>
          <p>
            idf <strong data-testid="slot-idf">{slotInfo.idf.toFixed(3)}</strong> = log((|B| + 1) / (df + 1)) with df {slotInfo.df} of |B| = {slotInfo.backgroundBatches} background
            batches.
          </p>
          <p>
            Changed by:{' '}
            {slotInfo.facts.length === 0 ? (
              <span className="muted">no taught fact</span>
            ) : (
              <span data-testid="slot-facts">{slotInfo.facts.map((f) => `#${f.id} ${f.text}`).join('; ')}</span>
            )}
          </p>
          <p>
            Read most by:{' '}
            {slotInfo.tokens.length === 0 ? (
              <span className="muted">no token of the sample</span>
            ) : (
              slotInfo.tokens.map((t, i) => (
                <span key={i} className="token">
                  {JSON.stringify(t.text).slice(1, -1)}
                  <sub>{t.count}</sub>
                </span>
              ))
            )}{' '}
            <span className="muted">(reads in a sample of {slotInfo.sampleTokens.toLocaleString('en-US')} held-out tokens, not the full background)</span>
          </p>
        </div>
      )}
    </section>
  );
});
