/**
 * `npm run fuzz [-- --inputs N] [-- --datagrams N] [-- --seed S]`: mutation fuzzing of every
 * decoder on the datagram path (CoAP parsing as the edge does it, link format, Register query,
 * Block options, LwM2M paths, every content-format codec), then of the live edge over UDP while a
 * well-formed client keeps registering. Bounded in count; prints progress; exits non-zero on any
 * crash (a throw out of a decoder, an uncaught exception in the edge) or hang (one input > 1 s).
 */
import '../local/quietNode20.ts';
import { createSocket } from 'node:dgram';
import { Command } from 'commander';
import { generate, parse } from 'coap-packet';
import { decodeContent } from '../core/codecs/index.ts';
import { ContentFormat } from '../core/lwm2m/ContentFormat.ts';
import { LwM2mPath } from '../core/lwm2m/LwM2mPath.ts';
import { parseLinkFormat, registrationObjectLinks } from '../core/lwm2m/linkFormat.ts';
import { parseRegisterQuery } from '../core/lwm2m/registrationRequest.ts';
import { decodeBlockOption } from '../core/lwm2m/blockwise.ts';
import { LocalStack } from '../local/LocalStack.ts';

const options = new Command()
  .option('--inputs <n>', 'decoder inputs', Number, 1_000_000)
  .option('--datagrams <n>', 'datagrams sent to the live edge', Number, 50_000)
  .option('--seed <n>', 'PRNG seed', Number, 1)
  .parse()
  .opts<{ inputs: number; datagrams: number; seed: number }>();

/** xorshift32: reproducible runs from a seed. */
let state = options.seed >>> 0 || 1;
const random = (): number => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 0x1_0000_0000;
};
const int = (n: number): number => Math.floor(random() * n);

const CORPUS: Buffer[] = [
  generate({ code: 'POST', messageId: 1, token: Buffer.from([1, 2]), options: [{ name: 'Uri-Path', value: Buffer.from('rd') }, { name: 'Uri-Query', value: Buffer.from('ep=a&lt=60') }], payload: Buffer.from('</1/0>,</3/0>') }),
  generate({ code: 'GET', messageId: 2, token: Buffer.from([3]), options: [{ name: 'Uri-Path', value: Buffer.from('fw') }, { name: 'Uri-Path', value: Buffer.from('abcdefgh12345678') }, { name: 'Block2', value: Buffer.from([0x16]) }] }),
  Buffer.from('c800144f70656e204d6f62696c6520416c6c69616e6365c801164c69676874776569676874204d324d20436c69656e74', 'hex'),
  Buffer.from('[{"bn":"/3/0/","n":"0","vs":"ACME"},{"n":"9","v":87}]'),
  Buffer.from('81a300672f332f302f3003644143004', 'hex'),
  Buffer.from('</>;rt="oma.lwm2m";ct="110 112",</1/0>,</3/0>,</5>;ver=1.1,</5/0>'),
  Buffer.from('ep=meter&lt=300&lwm2m=1.1&b=UQ'),
];

function mutate(seed: Buffer): Buffer {
  const bytes = Buffer.from(seed);
  switch (int(5)) {
    case 0:
      for (let i = int(8) + 1; i > 0 && bytes.length > 0; i--) {
        const at = int(bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << int(8));
      }
      return bytes;
    case 1:
      return bytes.subarray(0, int(bytes.length + 1));
    case 2: {
      const at = int(bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: int(16) + 1 }, () => int(256))), bytes.subarray(at)]);
    }
    case 3:
      return Buffer.from(Array.from({ length: int(128) }, () => int(256)));
    default:
      for (let i = int(4) + 1; i > 0 && bytes.length > 0; i--) bytes[int(bytes.length)] = [0, 0xff, 0x7f, 0x80, 0x1f][int(5)] ?? 0;
      return bytes;
  }
}

const FORMATS = [ContentFormat.TEXT, ContentFormat.OPAQUE, ContentFormat.CBOR, ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.TLV, ContentFormat.LWM2M_JSON, ContentFormat.LWM2M_CBOR];
const PATHS = ['/3', '/3/0', '/3/0/0', '/5/0/8', '/3303/0/5700'].map((p) => {
  const parsed = LwM2mPath.parse(p);
  if (!parsed.success) throw parsed.error;
  return parsed.data;
});

interface Finding {
  readonly target: string;
  readonly input: string;
  readonly problem: string;
}

function fuzzDecoders(inputs: number): { findings: Finding[]; slowestMs: number } {
  const findings: Finding[] = [];
  let slowestMs = 0;
  const started = Date.now();
  for (let i = 0; i < inputs; i++) {
    const input = mutate(CORPUS[int(CORPUS.length)] as Buffer);
    const text = input.toString('latin1');
    const targets: [string, () => unknown][] = [
      ['coap-packet parse', () => {
        try {
          parse(input);
        } catch {
          // The edge catches parse errors; a throw here is expected and handled.
        }
      }],
      ['decodeContent', () => decodeContent(FORMATS[int(FORMATS.length)] ?? 0, input, PATHS[int(PATHS.length)] as LwM2mPath)],
      ['parseLinkFormat', () => {
        const links = parseLinkFormat(text);
        if (links.success) registrationObjectLinks(links.data);
      }],
      ['parseRegisterQuery', () => parseRegisterQuery(text)],
      ['decodeBlockOption', () => decodeBlockOption(input.subarray(0, 4))],
      ['LwM2mPath.parse', () => LwM2mPath.parse(text)],
    ];
    const [name, run] = targets[i % targets.length] as [string, () => unknown];
    const t0 = performance.now();
    try {
      run();
    } catch (error) {
      findings.push({ target: name, input: input.toString('hex'), problem: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
    const elapsed = performance.now() - t0;
    slowestMs = Math.max(slowestMs, elapsed);
    if (elapsed > 1000) findings.push({ target: name, input: input.toString('hex'), problem: `hang: ${elapsed.toFixed(0)} ms` });
    if ((i + 1) % 100_000 === 0) process.stdout.write(`decoders  ${i + 1}/${inputs} inputs, ${findings.length} findings, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return { findings, slowestMs };
}

async function fuzzEdge(datagrams: number): Promise<{ answeredRegisters: number; registers: number; crashes: number }> {
  let crashes = 0;
  process.on('uncaughtException', () => crashes++);
  const stack = await LocalStack.start({ logLevel: 'silent' });
  // The fuzzer and the well-formed probe are different peers, as an attacker and a device are.
  const socket = createSocket('udp4');
  const fuzzer = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => fuzzer.bind(0, '127.0.0.1', resolve));
  const port = stack.edge.address.port;
  let registers = 0;
  let answeredRegisters = 0;
  const pending = new Map<number, NodeJS.Timeout>();
  socket.on('message', (message) => {
    try {
      const reply = parse(message);
      if (reply.code === '2.01' && pending.has(reply.messageId)) {
        clearTimeout(pending.get(reply.messageId));
        pending.delete(reply.messageId);
        answeredRegisters++;
      }
    } catch {
      // Not ours to judge.
    }
  });
  try {
    for (let i = 0; i < datagrams; i++) {
      const datagram = mutate(CORPUS[int(2)] as Buffer);
      // A fresh message id, so deduplication does not shield the handlers from the fuzz.
      if (datagram.length >= 4) datagram.writeUInt16BE(int(0x10000), 2);
      fuzzer.send(datagram, port, '127.0.0.1');
      // Bounded pace, about 10,000 datagrams per second: what one socket buffer takes on loopback.
      if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 5));
      if (i % 1000 === 0) {
        const messageId = 40_000 + (registers % 20_000);
        registers++;
        const probe = generate({ code: 'POST', messageId, confirmable: true, token: Buffer.from([9]), options: [{ name: 'Uri-Path', value: Buffer.from('rd') }, { name: 'Uri-Query', value: Buffer.from(`ep=fuzz-probe-${registers}`) }], payload: Buffer.from('</3/0>') });
        // A real client retransmits a lost CON (RFC 7252 §4.2): every second, up to 4 times.
        let tries = 0;
        const send = (): void => {
          if (!pending.has(messageId) || tries++ > 4) return;
          socket.send(probe, port, '127.0.0.1');
          setTimeout(send, 1000).unref();
        };
        pending.set(messageId, setTimeout(() => pending.delete(messageId), 8000));
        send();
      }
      if ((i + 1) % 10_000 === 0) process.stdout.write(`edge      ${i + 1}/${datagrams} datagrams, ${answeredRegisters}/${registers} probe Registers answered\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, 6000));
  } finally {
    socket.close();
    fuzzer.close();
    process.stdout.write(`edge stats: ${JSON.stringify(stack.edge.transport.stats)}\n`);
    await stack.stop();
  }
  return { answeredRegisters, registers, crashes };
}

const decoders = fuzzDecoders(options.inputs);
const edge = await fuzzEdge(options.datagrams);
process.stdout.write(
  `\ndecoder inputs ${options.inputs}, findings ${decoders.findings.length}, slowest input ${decoders.slowestMs.toFixed(1)} ms\n` +
    `edge datagrams ${options.datagrams}, probe Registers answered ${edge.answeredRegisters}/${edge.registers}, uncaught exceptions ${edge.crashes}\n`,
);
for (const finding of decoders.findings.slice(0, 20)) process.stdout.write(`  ${finding.target}: ${finding.problem} (input ${finding.input.slice(0, 80)})\n`);
process.exitCode = decoders.findings.length === 0 && edge.crashes === 0 && edge.answeredRegisters === edge.registers ? 0 : 1;
