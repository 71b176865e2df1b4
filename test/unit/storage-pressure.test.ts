import { describe, expect, it } from 'vitest';
import { BYTES_PER_FACT, persistenceText, storageWarning } from '../../src/app/storage-pressure';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

describe('storageWarning', () => {
  it('says nothing while there is room, or when the browser does not say', () => {
    expect(storageWarning({ usage: 100 * MiB, quota: 10 * GiB })).toBeNull();
    expect(storageWarning({ usage: 0, quota: 1 * GiB })).toBeNull();
    expect(storageWarning(undefined)).toBeNull();
    expect(storageWarning({})).toBeNull();
    expect(storageWarning({ usage: 10, quota: 0 })).toBeNull();
  });

  it('warns under 50 MiB free even with a large share left, and under 5% of the quota even with many MiB left', () => {
    const fit = Math.floor((40 * MiB) / BYTES_PER_FACT);
    expect(fit).toBeGreaterThan(1);
    expect(storageWarning({ usage: 460 * MiB, quota: 500 * MiB })).toContain(`This site's storage is nearly full: 40.0 MiB of 500.0 MiB left, room for about ${fit} more taught facts.`);
    expect(storageWarning({ usage: 9.6 * GiB, quota: 10 * GiB })).toMatch(/409\.6 MiB of 10\.0 GiB left/);
    expect(storageWarning({ usage: 9.4 * GiB, quota: 10 * GiB })).toBeNull();
    expect(storageWarning({ usage: 450 * MiB, quota: 500 * MiB })).toBeNull(); // 50 MiB and 10% left
  });

  it('counts the facts that still fit, down to none, and says what to do', () => {
    expect(storageWarning({ usage: 1000, quota: 1000 })).toMatch(/0\.0 MiB of 0\.0 MiB left, room for about 0 more taught facts.*Export your facts as a patch file/);
    expect(storageWarning({ usage: 0, quota: BYTES_PER_FACT })).toMatch(/about 1 more taught fact\./);
    expect(storageWarning({ usage: 2000, quota: 1000 })).toMatch(/room for about 0/);
  });
});

describe('persistenceText', () => {
  it('names the three answers', () => {
    expect(persistenceText(true)).toMatch(/^Storage is persistent/);
    expect(persistenceText(false)).toMatch(/^Storage is not persistent \(the browser did not grant it\)/);
    expect(persistenceText(null)).toMatch(/does not say/);
  });
});
