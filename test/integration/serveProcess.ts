/**
 * `npm start -- --serve` as its own process, the way a release manager runs it: started on free
 * ports, ready once its banner names the demo image, the REST API and the dashboard, stopped with
 * SIGINT as Ctrl-C would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from './eventually.ts';

export interface ServeProcess {
  readonly imageId: string;
  readonly apiUrl: string;
  readonly dashboardUrl: string;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `local/main.ts --serve --devices 6` (on port 0 everywhere) with `extraArgs`, waits for its banner. */
export async function startServe(extraArgs: readonly string[] = []): Promise<ServeProcess> {
  const args = ['local/main.ts', '--serve', '--devices', '6', ...extraArgs, '--api-port', '0', '--coap-port', '0', '--coaps-port', '0', '--image-bytes', '2048', '--log-level', 'silent'];
  const serve: ChildProcess = spawn('node_modules/.bin/tsx', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  serve.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  serve.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const stop = async (): Promise<void> => {
    if (serve.exitCode !== null || serve.signalCode !== null) return;
    const stopped = new Promise((resolve) => serve.once('exit', resolve));
    serve.kill('SIGINT');
    await stopped;
  };
  const exited = new Promise<never>((_, reject) => serve.once('exit', (code) => reject(new Error(`npm start exited with ${String(code)}:\n${output}`))));
  const ready = eventually(() => {
    const image = /demo image ([0-9a-f-]{36})/.exec(output);
    const apiUrl = /REST API \(fota CLI: --api\)\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    const dashboard = /Dashboard \(browser\)\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
    if (image?.[1] === undefined || apiUrl?.[1] === undefined || dashboard?.[1] === undefined) throw new Error(`not up yet:\n${output}`);
    return { imageId: image[1], apiUrl: apiUrl[1], dashboardUrl: dashboard[1] };
  }, { timeoutMs: 110_000, what: 'the serve banner with the demo image, the API and the dashboard URL' });
  try {
    const up = await Promise.race([ready, exited]);
    return { ...up, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
