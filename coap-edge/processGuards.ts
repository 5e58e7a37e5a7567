/**
 * The edge process's last line: a rejection nobody handled or an exception nobody caught is
 * logged and counted (shown by the health endpoint) instead of ending the process silently, as
 * Node 20 does by default. The process exits only on purpose: a SIGTERM/SIGINT drain, or a failed start.
 */
import type { Logger } from './logger.ts';

export interface ProcessFaults {
  unhandledRejections: number;
  uncaughtExceptions: number;
}

/** Installs the handlers once per process; returns the live counters. */
export function installProcessGuards(logger: Logger, target: Pick<NodeJS.Process, 'on'> = process): ProcessFaults {
  const faults: ProcessFaults = { unhandledRejections: 0, uncaughtExceptions: 0 };
  target.on('unhandledRejection', (reason: unknown) => {
    faults.unhandledRejections++;
    logger.error('unhandled rejection (kept running)', { error: reason, count: faults.unhandledRejections });
  });
  target.on('uncaughtException', (error: Error) => {
    faults.uncaughtExceptions++;
    logger.error('uncaught exception (kept running)', { error, count: faults.uncaughtExceptions });
  });
  return faults;
}
