/**
 * The edge's one event dispatch (EdgeEvents): events emitted while the edge starts wait for the
 * handler, a handler's failure is counted and logged once, and counts per kind feed the metrics.
 */
import { describe, expect, it } from 'vitest';
import { EdgeEvents, type EdgeEvent } from '../../coap-edge/EdgeEvents.ts';
import { createLogger } from '../../coap-edge/logger.ts';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('edge', 'info', (line) => lines.push(line)), lines };
}

const sent = (endpoint: string): EdgeEvent => ({ kind: 'sent', endpoint });

describe('the edge events', () => {
  it('hands events emitted before the handler exists to it, in order, once it is attached', async () => {
    const events = new EdgeEvents(capturingLogger().logger);
    const handled: EdgeEvent[] = [];
    events.emit(sent('a'));
    events.emit({ kind: 'deregistered', endpoint: 'b' });

    events.handleWith({ handle: (event) => Promise.resolve(void handled.push(event)) });
    events.emit(sent('c'));

    await expect.poll(() => handled).toEqual([sent('a'), { kind: 'deregistered', endpoint: 'b' }, sent('c')]);
  });

  it('runs the synchronous part of handling before emit returns', () => {
    const events = new EdgeEvents(capturingLogger().logger);
    const handled: string[] = [];
    events.handleWith({
      handle: async (event) => {
        handled.push(event.kind);
        await Promise.resolve();
      },
    });

    events.emit({ kind: 'addressTaken', taken: { endpoint: 'old', by: 'new', peer: { address: '127.0.0.1', port: 5683 } } });

    expect(handled).toEqual(['addressTaken']);
  });

  it('counts and logs a failed handling once, and goes on handling the next events', async () => {
    const { logger, lines } = capturingLogger();
    const events = new EdgeEvents(logger);
    const handled: string[] = [];
    events.handleWith({
      handle: (event) => {
        if (event.kind === 'sent' && event.endpoint === 'bad') return Promise.reject(new Error('store unavailable'));
        handled.push(event.kind);
        return Promise.resolve();
      },
    });

    events.emit(sent('bad'));
    events.emit(sent('good'));

    await expect.poll(() => events.faults.backgroundRejections).toBe(1);
    expect(handled).toEqual(['sent']);
    expect(lines.filter((line) => line.includes('unexpected failure in background work'))).toHaveLength(1);
    expect(events.count('sent')).toBe(2);
  });
});
