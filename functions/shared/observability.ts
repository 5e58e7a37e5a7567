/**
 * Powertools for AWS Lambda in the functions: a structured JSON Logger in the edge's line shape
 * (logFormatter.ts) and a Tracer (X-Ray, active only inside Lambda), one of each per process
 * (STYLE.md §8); each invocation logs through a child carrying its correlation ids. Metrics:
 * store/metrics.ts, the one EMF writer the edge uses too. Outside Lambda the functions run
 * `untraced`, without loading the Tracer at all (see createFunctionsTracer).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { FotaLogFormatter } from './logFormatter.ts';

/** Which function logs: the `component` field of its lines (the edge's is `edge`). */
export type FunctionsComponent = 'api' | 'workflow';

/** The edge's log levels (coap-edge/logger.ts), for the local stack to pass on. */
export type FunctionsLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * The fields that follow one operation across processes, under the same names in the edge's
 * lines: the API request (API Gateway's request id) and the campaign.
 */
export type CorrelationIds = Readonly<{ requestId?: string; campaignId?: string }>;

const POWERTOOLS_LEVELS = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', silent: 'SILENT' } as const satisfies Record<FunctionsLogLevel, LogLevel>;

/** Without a level, Powertools reads POWERTOOLS_LOG_LEVEL (INFO by default). */
export function createFunctionsLogger(component: FunctionsComponent, level?: FunctionsLogLevel): Logger {
  return new Logger({ serviceName: component, logFormatter: new FotaLogFormatter(), ...(level === undefined ? {} : { logLevel: POWERTOOLS_LEVELS[level] }) });
}

/** A child logger whose every line carries these correlation ids (safe with concurrent invocations in one process). */
export function correlatedLogger(logger: Logger, ids: Readonly<Record<string, string>>): Logger {
  return logger.createChild({ persistentKeys: { ...ids } });
}

/** What the handlers do with their tracer: Powertools' Tracer in Lambda, `untraced` elsewhere. */
export type FunctionsTracer = Pick<Tracer, 'getSegment' | 'setSegment' | 'annotateColdStart' | 'addServiceNameAnnotation' | 'putAnnotation' | 'addErrorAsMetadata'>;

/**
 * Powertools' Tracer, loaded only here: importing it loads the X-Ray SDK, which at import switches
 * on an async hook (cls-hooked) for the whole process, a cost on every promise whether anything is
 * traced or not (7% of the local stack's CPU in the load test). Lambda containers load it
 * (awsDependencies.ts); elsewhere the Tracer would be inactive anyway (it traces only in Lambda).
 */
export async function createFunctionsTracer(component: FunctionsComponent): Promise<Tracer> {
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  return new Tracer({ serviceName: `fota-${component}` });
}

/** The tracer of the local stack and the tests: records nothing, loads nothing. */
export const untraced: FunctionsTracer = {
  getSegment: () => undefined,
  setSegment: () => undefined,
  annotateColdStart: () => undefined,
  addServiceNameAnnotation: () => undefined,
  putAnnotation: () => undefined,
  addErrorAsMetadata: () => undefined,
};

/**
 * Runs one invocation in its own X-Ray subsegment, annotated with its correlation ids (annotations
 * are searchable in X-Ray); outside Lambda (`untraced`) this only runs `work`.
 */
export async function traced<T>(tracer: FunctionsTracer, name: string, ids: CorrelationIds, work: () => Promise<T>): Promise<T> {
  const parent = tracer.getSegment();
  const segment = parent?.addNewSubsegment(`## ${name}`);
  if (segment !== undefined) tracer.setSegment(segment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  for (const [key, value] of Object.entries(ids)) if (typeof value === 'string') tracer.putAnnotation(key, value);
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error) tracer.addErrorAsMetadata(error);
    throw error;
  } finally {
    segment?.close();
    if (parent !== undefined) tracer.setSegment(parent);
  }
}
