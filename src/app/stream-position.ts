/**
 * Where each pack's stream stopped, kept in this browser (localStorage), so Start after a reload goes on from the
 * next fact instead of streaming the pack again from fact 1. The taught facts themselves are in IndexedDB; this
 * is only the pack position. A position means nothing once the taught facts are gone (Reset to base), so the
 * panel ignores it when nothing is taught, and reset clears it.
 */
import { PACK_NAMES, type PackName } from '../facts/fact';

const KEY = 'engram.stream-positions';

export interface StreamPosition {
  /** Facts of the pack taught: the next stream starts at this index. */
  readonly index: number;
  readonly total: number;
}

export type StreamPositions = Partial<Record<PackName, StreamPosition>>;

/** The part of Storage used here, so tests can pass a plain object. */
export type PositionStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function storage(): PositionStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage blocked by the browser's settings: positions are simply not kept
  }
}

export function loadStreamPositions(store: PositionStorage | null = storage()): StreamPositions {
  try {
    const raw = JSON.parse(store?.getItem(KEY) ?? '{}') as Record<string, unknown>;
    const positions: StreamPositions = {};
    for (const pack of PACK_NAMES) {
      const p = raw[pack] as Partial<StreamPosition> | undefined;
      if (p && Number.isInteger(p.index) && Number.isInteger(p.total) && p.index! > 0 && p.index! <= p.total!) positions[pack] = { index: p.index!, total: p.total! };
    }
    return positions;
  } catch {
    return {}; // unreadable: start from the beginning
  }
}

export function saveStreamPosition(pack: PackName, position: StreamPosition, store: PositionStorage | null = storage()): void {
  try {
    store?.setItem(KEY, JSON.stringify({ ...loadStreamPositions(store), [pack]: position }));
  } catch {
    // full or blocked storage: the position is not kept, nothing else depends on it
  }
}

export function clearStreamPositions(store: PositionStorage | null = storage()): void {
  try {
    store?.removeItem(KEY);
  } catch {
    // as above
  }
}
