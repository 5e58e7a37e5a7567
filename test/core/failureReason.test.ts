import { describe, expect, it } from 'vitest';
import { FAILURE_REASONS, isFailureReason } from '../../core/jobs/failureReason.ts';
import { FirmwareUpdateResult, updateResultReason } from '../../core/lwm2m/firmwareUpdate.ts';

describe('failure reasons', () => {
  it('name every Update Result 2..9 as the device reported it, and an unknown code with its number', () => {
    expect(updateResultReason(FirmwareUpdateResult.IntegrityCheckFailure)).toBe('INTEGRITY_CHECK_FAILURE');
    expect(updateResultReason(FirmwareUpdateResult.Deferred)).toBe('DEFERRED');
    expect(updateResultReason(42)).toBe('UNKNOWN_RESULT_42');
    expect(updateResultReason(2.5)).toBe('UNKNOWN_RESULT_2.5');
    for (let code = FirmwareUpdateResult.NotEnoughFlash; code <= FirmwareUpdateResult.UnsupportedProtocol; code++) expect(FAILURE_REASONS).toContain(updateResultReason(code));
  });

  it("list the edge's and the workflow's own reasons", () => {
    expect(FAILURE_REASONS).toEqual(expect.arrayContaining(['DEVICE_TIMEOUT', 'DOWNLOAD_TIMEOUT', 'INSTALL_TIMEOUT', 'IMAGE_TAMPERED', 'PUSH_INCOMPLETE', 'VERSION_MISMATCH']));
  });

  it('tell a stored failure reason from a skip reason, a typo or nothing', () => {
    expect(isFailureReason('DEVICE_TIMEOUT')).toBe(true);
    expect(isFailureReason('UNKNOWN_RESULT_12')).toBe(true);
    expect(isFailureReason('DEVICE_BUSY')).toBe(false);
    expect(isFailureReason('DEVICE_TIMOUT')).toBe(false);
    expect(isFailureReason(undefined)).toBe(false);
  });
});
