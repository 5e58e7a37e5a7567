/**
 * Error names a campaign workflow task retries with back-off before its catch-all marks the
 * campaign failed (STYLE.md §7: a Lambda error's `name` is a Step Functions Retry key). Shared by
 * the CDK definition (infra/constructs/CampaignWorkflow.ts) and the handlers' tests.
 */

/** The Lambda service refused or lost the invocation: always safe to retry. */
export const LAMBDA_THROTTLING_ERRORS = ['Lambda.TooManyRequestsException'] as const;

/**
 * Errors a workflow handler throws (its `errorType` in Step Functions) that a later attempt can
 * clear: contention on a campaign, DynamoDB or another AWS service throttling or briefly failing,
 * the SDK losing its connection, the function timing out. Each handler is safe to run again: every
 * write it makes is conditional.
 */
export const TRANSIENT_TASK_ERRORS = [
  'CampaignContendedError',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'Sandbox.Timedout',
] as const;
