/**
 * When to warn that the site's storage is nearly full, before a save fails: from navigator.storage.estimate(),
 * when less than 5% of the quota or less than 50 MiB is left. Pure, so it is tested without a browser.
 */
import { METHOD_DEFAULTS } from '../learn/method-defaults';

/** The fields of a StorageEstimate used here. */
export interface StorageEstimateLike {
  usage?: number;
  quota?: number;
}

export const LOW_SPACE_FRACTION = 0.05;
export const LOW_SPACE_BYTES = 50 * 2 ** 20;
/** What one taught fact takes in IndexedDB at the default t (t rows of 128 float32 values, with its record, about 4 KiB). */
export const BYTES_PER_FACT = METHOD_DEFAULTS.sparse.t * 128 * 4 + 4 * 2 ** 10;

/** The warning to show, or null when there is room (or the browser does not say). */
export function storageWarning(estimate: StorageEstimateLike | null | undefined, bytesPerFact = BYTES_PER_FACT): string | null {
  const quota = estimate?.quota;
  const usage = estimate?.usage;
  if (!quota || quota <= 0 || usage === undefined || !Number.isFinite(usage)) return null;
  const free = Math.max(0, quota - usage);
  if (free >= LOW_SPACE_BYTES && free / quota >= LOW_SPACE_FRACTION) return null;
  const facts = Math.floor(free / bytesPerFact);
  return (
    `This site's storage is nearly full: ${mib(free)} of ${mib(quota)} left, room for about ${facts} more taught fact${facts === 1 ? '' : 's'}. ` +
    'Export your facts as a patch file to keep them, and free disk space or clear other site data, before a save fails.'
  );
}

/** What the page says about navigator.storage.persist(): true granted, false refused, null unknown. */
export function persistenceText(persisted: boolean | null): string {
  if (persisted === true) return 'Storage is persistent: the browser will not clear your taught facts to free space.';
  if (persisted === false) return 'Storage is not persistent (the browser did not grant it): it may clear your taught facts when the disk runs low. Export a patch file to keep them safe.';
  return 'The browser does not say whether your taught facts are kept when the disk runs low. Export a patch file to keep them safe.';
}

function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
