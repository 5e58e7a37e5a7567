/**
 * `fota credentials ...`: DTLS-PSK credentials of devices. `set` provisions (or replaces) a
 * device's identity and key, `show` tells which device an identity belongs to, `revoke` removes
 * it. The key goes in once and never comes out: no command prints it.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { DeviceCredential } from '../core/ports/CredentialStore.ts';
import type { ApiClient } from './ApiClient.ts';
import type { FotaConsole } from './fotaConsole.ts';
import { formatTable } from './terminal.ts';

export interface CredentialCommandContext {
  readonly api: () => ApiClient;
  readonly print: (value: unknown, table: () => string) => void;
  readonly io: FotaConsole;
}

const HEX_KEY = /^([0-9a-fA-F]{2}){16,64}$/;

const hexKey = (value: string): string => {
  const key = value.trim();
  if (!HEX_KEY.test(key)) throw new InvalidArgumentError('expected 16 to 64 bytes as hex');
  return key;
};

async function readAll(input: AsyncIterable<string | Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

const describe = (credential: DeviceCredential): string =>
  formatTable([
    ['identity', 'endpoint', 'created'],
    [credential.identity, credential.endpoint, new Date(credential.createdAt).toISOString()],
  ]);

export function addCredentialCommands(program: Command, { api, print, io }: CredentialCommandContext): void {
  const credentials = program.command('credentials').description('DTLS-PSK credentials of devices (keys are never shown)');
  credentials
    .command('set <endpoint>')
    .description('provision (or replace) the PSK identity and key of a device: it then registers over DTLS only; a replaced key stops working at once')
    .requiredOption('--identity <identity>', 'PSK identity the device presents in its handshake')
    .option('--key-hex <hex>', 'the PSK as hex, 16 to 64 bytes (visible to other local users in the process list: prefer --key-stdin)', hexKey)
    .option('--key-stdin', 'read the PSK as hex from standard input')
    .action(async (endpoint: string, opts: { identity: string; keyHex?: string; keyStdin?: boolean }) => {
      if ((opts.keyHex === undefined) === (opts.keyStdin !== true)) throw new InvalidArgumentError('give the key with exactly one of --key-hex or --key-stdin');
      const keyHex = opts.keyHex ?? hexKey(await readAll(io.stdin));
      const credential = await api().put<DeviceCredential>(`/devices/${encodeURIComponent(endpoint)}/credentials`, { identity: opts.identity, keyHex });
      print(credential, () => `${describe(credential)}\n${credential.endpoint} now registers over DTLS only`);
    });
  credentials
    .command('show <identity>')
    .description('show which device a PSK identity belongs to (never the key)')
    .action(async (identity: string) => {
      const credential = await api().get<DeviceCredential>(`/credentials/${encodeURIComponent(identity)}`);
      print(credential, () => describe(credential));
    });
  credentials
    .command('revoke <identity>')
    .description("revoke a PSK identity: its key is deleted and the device's live DTLS sessions end within 10 s")
    .action(async (identity: string) => {
      const result = await api().delete<{ identity: string; revoked: boolean }>(`/credentials/${encodeURIComponent(identity)}`);
      print(result, () => `identity ${result.identity} revoked: its DTLS sessions end within 10 s`);
    });
}
