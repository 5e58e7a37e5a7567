import { BatchWriteCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FirmwareJob } from '../core/jobs/FirmwareJob.ts';
import { cohortPrefix } from '../core/jobs/FirmwareJob.ts';
import { applyJobEvent, type JobEvent, type JobStatus } from '../core/jobs/jobStateMachine.ts';
import { fail, ok, type Result } from '../core/result.ts';
import type { IllegalTransitionError } from '../core/jobs/errors.ts';
import { JOBS_BY_ENDPOINT_INDEX, JOBS_BY_OWNER_INDEX, JOBS_BY_TOKEN_INDEX } from './schema.ts';
import { StaleItemError } from './errors.ts';
import { isConditionalCheckFailure, whenConditionHolds } from './conditionalWrite.ts';

export type TransitionError = IllegalTransitionError | StaleItemError;

/** Per-device jobs. Every status change is a conditional write on (status, version). */
export interface JobStore {
  createJobs(jobs: readonly FirmwareJob[]): Promise<void>;
  get(campaignId: string, jobKey: string): Promise<FirmwareJob | undefined>;
  transition(job: FirmwareJob, event: JobEvent, now: number, extra?: Readonly<Record<string, string | number | boolean>>): Promise<Result<FirmwareJob, TransitionError>>;
  /** Sets attributes that are not part of the state machine (owner task, install request). */
  annotate(job: FirmwareJob, attributes: Readonly<Record<string, string | number | boolean>>): Promise<boolean>;
  listCohort(campaignId: string, cohort: number): Promise<FirmwareJob[]>;
  listCampaign(campaignId: string): Promise<FirmwareJob[]>;
  listForEndpoint(endpoint: string): Promise<FirmwareJob[]>;
  /**
   * The jobs a task owns in a status. `limit`: at most that many (a page of the owner's backlog);
   * `dueBy`: only jobs with no `notBefore` or one at or before that time (epoch ms).
   */
  listForOwner(ownerTask: string, status: JobStatus, options?: { readonly limit?: number; readonly dueBy?: number }): Promise<FirmwareJob[]>;
  findByToken(token: string): Promise<FirmwareJob | undefined>;
}

export class DynamoDbJobStore implements JobStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createJobs(jobs: readonly FirmwareJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += 25) {
      let requests = jobs.slice(i, i + 25).map((job) => ({ PutRequest: { Item: { ...job } } }));
      // BatchWrite may hand back unprocessed items under throttling: retry them with backoff.
      for (let attempt = 0; requests.length > 0; attempt++) {
        const result = await this.dynamo.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }

  async get(campaignId: string, jobKey: string): Promise<FirmwareJob | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { campaignId, jobKey }, ConsistentRead: true }));
    return result.Item as FirmwareJob | undefined;
  }

  async transition(
    job: FirmwareJob,
    event: JobEvent,
    now: number,
    extra: Readonly<Record<string, string | number | boolean>> = {},
  ): Promise<Result<FirmwareJob, TransitionError>> {
    const change = applyJobEvent(job, event, now);
    if (!change.success) return change;
    const { status, version, attempt, set, history, expected } = change.data;
    const names: Record<string, string> = { '#status': 'status', '#version': 'version', '#attempt': 'attempt', '#history': 'history' };
    const values: Record<string, unknown> = {
      ':status': status,
      ':version': version,
      ':attempt': attempt,
      ':history': [history],
      ':expectedStatus': expected.status,
      ':expectedVersion': expected.version,
    };
    const sets = ['#status = :status', '#version = :version', '#attempt = :attempt', '#history = list_append(#history, :history)'];
    const removes: string[] = [];
    const attributes: Record<string, unknown> = { ...set, ...extra };
    Object.entries(attributes).forEach(([key, value], i) => {
      names[`#a${i}`] = key;
      if (value === null) {
        removes.push(`#a${i}`);
      } else {
        values[`:a${i}`] = value;
        sets.push(`#a${i} = :a${i}`);
      }
    });
    try {
      const result = await this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { campaignId: job.campaignId, jobKey: job.jobKey },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: '#status = :expectedStatus AND #version = :expectedVersion',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return ok(result.Attributes as FirmwareJob);
    } catch (error) {
      if (isConditionalCheckFailure(error)) {
        return fail(new StaleItemError(`job ${job.campaignId}/${job.endpoint} is no longer ${expected.status} v${expected.version}`, { cause: error }));
      }
      throw error;
    }
  }

  async annotate(job: FirmwareJob, attributes: Readonly<Record<string, string | number | boolean>>): Promise<boolean> {
    const entries = Object.entries(attributes);
    if (entries.length === 0) return true;
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':version': job.version };
    const sets = entries.map(([key, value], i) => {
      names[`#a${i}`] = key;
      values[`:a${i}`] = value;
      return `#a${i} = :a${i}`;
    });
    return whenConditionHolds(this.dynamo.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { campaignId: job.campaignId, jobKey: job.jobKey },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ));
  }

  listCohort(campaignId: string, cohort: number): Promise<FirmwareJob[]> {
    return this.queryAll({
      KeyConditionExpression: 'campaignId = :c AND begins_with(jobKey, :prefix)',
      ExpressionAttributeValues: { ':c': campaignId, ':prefix': cohortPrefix(cohort) },
      ConsistentRead: true,
    });
  }

  listCampaign(campaignId: string): Promise<FirmwareJob[]> {
    return this.queryAll({ KeyConditionExpression: 'campaignId = :c', ExpressionAttributeValues: { ':c': campaignId }, ConsistentRead: true });
  }

  listForEndpoint(endpoint: string): Promise<FirmwareJob[]> {
    return this.queryAll({ IndexName: JOBS_BY_ENDPOINT_INDEX, KeyConditionExpression: 'endpoint = :e', ExpressionAttributeValues: { ':e': endpoint } });
  }

  listForOwner(ownerTask: string, status: JobStatus, options: { readonly limit?: number; readonly dueBy?: number } = {}): Promise<FirmwareJob[]> {
    const { limit, dueBy } = options;
    return this.queryAll(
      {
        IndexName: JOBS_BY_OWNER_INDEX,
        KeyConditionExpression: 'ownerTask = :o AND #status = :s',
        ...(dueBy === undefined
          ? { ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':o': ownerTask, ':s': status } }
          : {
              FilterExpression: 'attribute_not_exists(#nb) OR #nb <= :due',
              ExpressionAttributeNames: { '#status': 'status', '#nb': 'notBefore' },
              ExpressionAttributeValues: { ':o': ownerTask, ':s': status, ':due': dueBy },
            }),
        ...(limit === undefined ? {} : { Limit: limit }),
      },
      limit,
    );
  }

  async findByToken(token: string): Promise<FirmwareJob | undefined> {
    const items = await this.queryAll({ IndexName: JOBS_BY_TOKEN_INDEX, KeyConditionExpression: 'downloadToken = :t', ExpressionAttributeValues: { ':t': token } });
    return items[0];
  }

  private async queryAll(input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>, limit = Number.POSITIVE_INFINITY): Promise<FirmwareJob[]> {
    const items: FirmwareJob[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey }));
      items.push(...((page.Items ?? []) as FirmwareJob[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < limit);
    return items.length > limit ? items.slice(0, limit) : items;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
