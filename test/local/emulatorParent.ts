/**
 * A parent for test/local/emulators.test.ts: starts the emulators in a child process, prints the
 * child's pid as one JSON line, and waits to be killed (the test kills it with SIGKILL, so
 * nothing of its own runs at its death: the child must notice by itself).
 */
import { forkEmulatorServers } from '../../local/emulatorChild.ts';

const servers = await forkEmulatorServers();
process.stdout.write(`${JSON.stringify({ pid: servers.pid, dynamoDbPort: servers.dynamoDbPort })}\n`);
setInterval(() => undefined, 60_000);
