import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStack } from '../../local/LocalStack.ts';
import { runFotaIn, spawnFota, type FotaRun } from '../integration/fotaCli.ts';

const KEY_HEX = Buffer.from('cli-credential-key').toString('hex');

/**
 * `fota credentials set|show|revoke` against the local stack, as the README shows them: in this
 * process through the CLI's entry function, and the key read from standard input by the real
 * binary (test/integration/fotaCli.ts).
 */
describe('fota credentials', () => {
  let stack: LocalStack;

  const fota = (args: readonly string[]): Promise<FotaRun> => runFotaIn(stack.apiUrl, {}, args);

  beforeAll(async () => {
    stack = await LocalStack.start({ logLevel: 'silent' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('sets a credential with --key-hex and prints the identity and endpoint, never the key', async () => {
    const run = await fota(['credentials', 'set', 'cli-secure-1', '--identity', 'cli-psk-1', '--key-hex', KEY_HEX]);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('cli-psk-1');
    expect(run.stdout).toContain('cli-secure-1 now registers over DTLS only');
    expect(run.stdout).not.toContain(KEY_HEX);
    expect(await stack.stores.credentials.pskFor('cli-psk-1')).toEqual(Buffer.from('cli-credential-key'));
  });

  it('sets a credential with the key the real binary reads from its standard input (--key-stdin)', async () => {
    const run = await spawnFota(stack.apiUrl, { input: `${KEY_HEX}\n` }, ['--json', 'credentials', 'set', 'cli-secure-2', '--identity', 'cli-psk-2', '--key-stdin']);

    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ identity: 'cli-psk-2', endpoint: 'cli-secure-2', createdAt: expect.any(Number) });
    expect(await stack.stores.credentials.pskFor('cli-psk-2')).toEqual(Buffer.from('cli-credential-key'));
  });

  it('refuses a key that is not 16 to 64 bytes of hex before calling the API (exit 1)', async () => {
    const run = await fota(['credentials', 'set', 'cli-secure-3', '--identity', 'cli-psk-3', '--key-hex', 'abc']);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('16 to 64 bytes as hex');
    expect(await stack.stores.credentials.get('cli-psk-3')).toBeUndefined();
  });

  it('shows which device an identity belongs to', async () => {
    await fota(['credentials', 'set', 'cli-secure-4', '--identity', 'cli-psk-4', '--key-hex', KEY_HEX]);

    const run = await fota(['--json', 'credentials', 'show', 'cli-psk-4']);

    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ identity: 'cli-psk-4', endpoint: 'cli-secure-4', createdAt: expect.any(Number) });
  });

  it('revokes an identity; showing it then fails with NOT_FOUND (exit 2)', async () => {
    await fota(['credentials', 'set', 'cli-secure-5', '--identity', 'cli-psk-5', '--key-hex', KEY_HEX]);

    const revoked = await fota(['credentials', 'revoke', 'cli-psk-5']);
    const shown = await fota(['credentials', 'show', 'cli-psk-5']);

    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('identity cli-psk-5 revoked');
    expect(shown.code).toBe(2);
    expect(shown.stderr).toContain('NOT_FOUND');
    expect(await stack.stores.credentials.requiresDtls('cli-secure-5')).toBe(false);
  });
});
