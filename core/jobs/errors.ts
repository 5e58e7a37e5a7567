import type { JobStatus } from './jobStateMachine.ts';

/** An event that the job state machine does not allow from the job's current status. */
export class IllegalTransitionError extends Error {
  readonly from: JobStatus;
  readonly event: string;

  constructor(from: JobStatus, event: string, options?: ErrorOptions) {
    super(`Job in ${from} cannot take event '${event}'`, options);
    this.name = 'IllegalTransitionError';
    this.from = from;
    this.event = event;
  }
}

/** A conditional write of a job lost: the job is no longer the status and version the caller read. */
export class StaleJobError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StaleJobError';
  }
}
