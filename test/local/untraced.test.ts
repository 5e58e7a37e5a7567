/**
 * The local stack runs the workflow's tasks untraced, without loading Powertools' Tracer: the X-Ray
 * SDK it loads switches on an async hook (cls-hooked) for the whole process at import, a cost on
 * every promise (functions/shared/observability.ts). Each case imports in a fresh Node process,
 * where the hook's namespace shows in `process.namespaces`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The cls-hooked namespaces of a fresh process after it ran `script` (an ES module body). */
async function namespacesAfter(script: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `${script}\nprocess.stdout.write(JSON.stringify(Object.keys(process.namespaces ?? {})));`], { cwd: process.cwd() });
  return JSON.parse(stdout) as string[];
}

describe('tracing in the local stack', () => {
  it('loads no X-Ray SDK, and so no async hook, with the local stack and every workflow task', async () => {
    const namespaces = await namespacesAfter("await import('./local/LocalStack.ts'); await import('./functions/workflow/tasks.ts'); await import('./functions/api/handler.ts');");
    expect(namespaces).toEqual([]);
  }, 60_000);

  it('loads the X-Ray SDK where a Lambda container creates its Tracer', async () => {
    const namespaces = await namespacesAfter("const { createFunctionsTracer } = await import('./functions/shared/observability.ts'); await createFunctionsTracer('workflow');");
    expect(namespaces).toEqual(['AWSXRay']);
  }, 60_000);
});
