/**
 * `npm run firmware -- --version 2.2.0 --out fw.bin [--body-bytes 32768]`: writes a firmware
 * package in the format the simulated devices accept (sim/firmwarePackage.ts: magic, version, body,
 * SHA-256 trailer). A simulated device checks the trailer after download (Update Result 5 when it
 * does not match) and reports the embedded version after its "reboot", so the image's declared
 * version must be the one given here.
 */
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { buildFirmwarePackage } from '../sim/firmwarePackage.ts';

const program = new Command()
  .name('npm run firmware --')
  .description('Write a firmware package the simulated devices accept.')
  .requiredOption('--version <version>', 'firmware version embedded in the package (declare the same at upload)')
  .requiredOption('--out <file>', 'where to write the package')
  .option('--body-bytes <n>', 'size of the random body', (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 256 * 1024 * 1024) throw new InvalidArgumentError('expected 1..268435456');
    return n;
  }, 32 * 1024)
  .parse();

const options = program.opts<{ version: string; out: string; bodyBytes: number }>();
const bytes = buildFirmwarePackage(options.version, options.bodyBytes);
await writeFile(options.out, bytes);
process.stdout.write(`${options.out}: firmware ${options.version}, ${bytes.length} bytes\n`);
