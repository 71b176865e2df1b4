/**
 * Asks the browser to keep this site's storage persistent (navigator.storage.persist()) once, and checks the
 * space left after every change to the taught facts (navigator.storage.estimate()), so the page can warn before
 * a save fails (src/app/storage-pressure.ts decides when).
 */
import { useEffect, useState } from 'react';
import { storageWarning } from './storage-pressure';

export interface StorageHealth {
  /** True granted, false refused, null not known (no StorageManager, or it failed). Undefined while asking. */
  persisted: boolean | null | undefined;
  /** Nearly full: what to do; null when there is room. */
  warning: string | null;
}

export function useStorageHealth(factCount: number): StorageHealth {
  const [persisted, setPersisted] = useState<boolean | null | undefined>(undefined);
  const [warning, setWarning] = useState<string | null>(null);
  useEffect(() => {
    const storage = navigator.storage;
    if (!storage?.persist || !storage.persisted) {
      setPersisted(null);
      return;
    }
    let live = true;
    storage
      .persisted()
      .then((already) => already || storage.persist())
      .then(
        (granted) => live && setPersisted(granted),
        () => live && setPersisted(null),
      );
    return () => {
      live = false;
    };
  }, []);
  useEffect(() => {
    if (!navigator.storage?.estimate) return;
    let live = true;
    navigator.storage.estimate().then(
      (estimate) => live && setWarning(storageWarning(estimate)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [factCount]);
  return { persisted, warning };
}
