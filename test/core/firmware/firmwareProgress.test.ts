import { describe, expect, it } from 'vitest';
import { downloadVerdict, firmwareObjectSnapshot, installVerdict } from '../../../core/firmware/firmwareProgress.ts';
import { LwM2mPath } from '../../../core/lwm2m/LwM2mPath.ts';
import type { LwM2mEntry, ResourceValue } from '../../../core/codecs/model.ts';

const IDLE = 0;
const DOWNLOADING = 1;
const DOWNLOADED = 2;
const UPDATING = 3;

function entry(path: string, value: ResourceValue): LwM2mEntry {
  const parsed = LwM2mPath.parse(path);
  if (!parsed.success) throw parsed.error;
  return { path: parsed.data, value };
}

const NAMES: Readonly<Record<number, string>> = {
  2: 'NOT_ENOUGH_FLASH',
  3: 'OUT_OF_RAM',
  4: 'CONNECTION_LOST',
  5: 'INTEGRITY_CHECK_FAILURE',
  6: 'UNSUPPORTED_PACKAGE_TYPE',
  7: 'INVALID_URI',
  8: 'UPDATE_FAILED',
  9: 'UNSUPPORTED_PROTOCOL',
};

describe('object 5 as the executor reads it', () => {
  it('decodes State, Update Result, every /5/0/8 instance, /5/0/9 and Last State Change Time', () => {
    const snapshot = firmwareObjectSnapshot([
      entry('/5/0/1', ''),
      entry('/5/0/3', DOWNLOADED),
      entry('/5/0/5', 0),
      entry('/5/0/8/0', 0),
      entry('/5/0/8/1', 2),
      entry('/5/0/9', 2),
      entry('/5/0/12', new Date(1_700_000_000_000)),
      entry('/3/0/3', 'not object 5'),
    ]);
    expect(snapshot).toEqual({ state: DOWNLOADED, updateResult: 0, protocols: [0, 2], deliveryMethod: 2, lastStateChangeTime: 1_700_000_000_000 });
  });

  it('reads a Last State Change Time given as seconds', () => {
    expect(firmwareObjectSnapshot([entry('/5/0/12', 1_700_000_000)]).lastStateChangeTime).toBe(1_700_000_000_000);
  });

  it('leaves out what a 1.0 device does not have', () => {
    expect(firmwareObjectSnapshot([entry('/5/0/3', IDLE), entry('/5/0/5', 0)])).toEqual({ state: IDLE, updateResult: 0 });
  });
});

describe('the verdict of State and Update Result during the download', () => {
  it('names every failure result 2..9 from Idle', () => {
    for (const [result, reason] of Object.entries(NAMES)) {
      expect(downloadVerdict({ state: IDLE, updateResult: Number(result) })).toEqual({ kind: 'failed', reason, updateResult: Number(result) });
    }
  });

  it('sees Downloaded as done and Downloading as in progress', () => {
    expect(downloadVerdict({ state: DOWNLOADED, updateResult: 0 })).toEqual({ kind: 'downloaded' });
    expect(downloadVerdict({ state: DOWNLOADING, updateResult: 0 })).toEqual({ kind: 'inProgress' });
  });

  it('reads Idle with result 10 as a cancel on the device', () => {
    expect(downloadVerdict({ state: IDLE, updateResult: 10 })).toEqual({ kind: 'cancelled', updateResult: 10 });
  });

  it('reads Idle with result 0 or 1 as not started yet', () => {
    expect(downloadVerdict({ state: IDLE, updateResult: 0 })).toEqual({ kind: 'inProgress' });
    expect(downloadVerdict({ state: IDLE, updateResult: 1 })).toEqual({ kind: 'inProgress' });
  });

  it('names a result the spec does not know', () => {
    expect(downloadVerdict({ state: IDLE, updateResult: 42 })).toEqual({ kind: 'failed', reason: 'UNKNOWN_RESULT_42', updateResult: 42 });
  });
});

describe('the verdict of State and Update Result after Execute Update', () => {
  it('sees a deferral in Downloaded with result 11', () => {
    expect(installVerdict({ state: DOWNLOADED, updateResult: 11 })).toEqual({ kind: 'deferred' });
  });

  it('names every failure result 2..9, back in Downloaded or in Idle', () => {
    for (const [result, reason] of Object.entries(NAMES)) {
      expect(installVerdict({ state: DOWNLOADED, updateResult: Number(result) })).toEqual({ kind: 'failed', reason, updateResult: Number(result) });
      expect(installVerdict({ state: IDLE, updateResult: Number(result) })).toEqual({ kind: 'failed', reason, updateResult: Number(result) });
    }
  });

  it('waits while Updating, and before the device took the Execute', () => {
    expect(installVerdict({ state: UPDATING, updateResult: 0 })).toEqual({ kind: 'inProgress' });
    expect(installVerdict({ state: DOWNLOADED, updateResult: 0 })).toEqual({ kind: 'inProgress' });
    expect(installVerdict({})).toEqual({ kind: 'inProgress' });
  });

  it('sees Idle with result 1 as updated without a reboot', () => {
    expect(installVerdict({ state: IDLE, updateResult: 1 })).toEqual({ kind: 'updated' });
  });

  it('fails an install cancelled on the device with its result', () => {
    expect(installVerdict({ state: IDLE, updateResult: 10 })).toEqual({ kind: 'failed', reason: 'CANCELLED', updateResult: 10 });
  });
});
