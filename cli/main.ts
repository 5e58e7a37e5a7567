/**
 * `fota`: the release manager's command line, run by `cli/fota.js`. One run of the command line
 * (cli/fotaProgram.ts) on this process's streams and environment; its exit code is the process's.
 */
import { runFota } from './fotaProgram.ts';

process.exitCode = await runFota(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
