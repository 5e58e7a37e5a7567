import { BatchGetCommand, BatchWriteCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FirmwareJob, JobProgress, JobRef } from '../core/jobs/FirmwareJob.ts';
import { timingSafeEqual } from 'node:crypto';
import { cohortPrefix, JOB_PROGRESS_ATTRIBUTES } from '../core/jobs/FirmwareJob.ts';
import { parseKeyedToken } from '../core/jobs/packageToken.ts';
import { applyJobEvents, isTerminal, JobStatus, type DeliveryMethod, type JobEvents } from '../core/jobs/jobStateMachine.ts';
import { fail, ok, type Result } from '../core/result.ts';
import { StaleJobError } from '../core/jobs/errors.ts';
import type { ExecuteOutcome, JobKey, JobStore, OwnedJobEntry, TransitionError, TransitionExtras } from '../core/ports/JobStore.ts';
import { JOBS_BY_ENDPOINT_INDEX, JOBS_BY_OWNER_INDEX, JOBS_BY_TOKEN_INDEX } from './schema.ts';
import { isConditionalCheckFailure, whenConditionHolds } from './conditionalWrite.ts';
import { mapWithLimit } from '../core/concurrency.ts';

/** BatchWriteItem calls (25 items each) and BatchGetItem calls (100 keys each) in flight at once. */
const PARALLEL_BATCHES = 8;

/** Per-device jobs in one DynamoDB table: every write is conditional on (status, version). */
export class DynamoDbJobStore implements JobStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** BatchWriteItem in chunks of 25 (its limit), several chunks in flight at once. */
  async createJobs(jobs: readonly FirmwareJob[]): Promise<void> {
    const chunks: FirmwareJob[][] = [];
    for (let i = 0; i < jobs.length; i += 25) chunks.push(jobs.slice(i, i + 25));
    await mapWithLimit(chunks, PARALLEL_BATCHES, async (chunk) => {
      let requests = chunk.map((job) => ({ PutRequest: { Item: { ...job } } }));
      // BatchWrite may hand back unprocessed items under throttling: retry them with backoff.
      for (let attempt = 0; requests.length > 0; attempt++) {
        const result = await this.dynamo.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    });
  }

  async get(campaignId: string, jobKey: string): Promise<FirmwareJob | undefined> {
    const result = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: { campaignId, jobKey }, ConsistentRead: true }));
    return result.Item as FirmwareJob | undefined;
  }

  async transition(
    job: JobRef,
    events: JobEvents,
    now: number,
    extra: TransitionExtras = {},
  ): Promise<Result<FirmwareJob, TransitionError>> {
    const change = applyJobEvents(job, events, now);
    if (!change.success) return change;
    const { status, version, attempt, set, history, expected } = change.data;
    const names: Record<string, string> = { '#status': 'status', '#version': 'version', '#attempt': 'attempt', '#history': 'history' };
    const values: Record<string, unknown> = {
      ':status': status,
      ':version': version,
      ':attempt': attempt,
      ':history': history,
      ':expectedStatus': expected.status,
      ':expectedVersion': expected.version,
    };
    const sets = ['#status = :status', '#version = :version', '#attempt = :attempt', '#history = list_append(#history, :history)'];
    const removes: string[] = [];
    // byOwner is sparse (store/schema.ts): an ended job leaves it, and no task owns it any more.
    const attributes: Record<string, unknown> = { ...(isTerminal(status) ? { ownerTask: null } : {}), ...set, ...extra };
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
        return fail(new StaleJobError(`job ${job.campaignId}/${job.endpoint} is no longer ${expected.status} v${expected.version}`, { cause: error }));
      }
      throw error;
    }
  }

  claim(job: FirmwareJob, ownerTask: string): Promise<boolean> {
    return this.setUnchanged(job, { ownerTask });
  }

  requestCancel(job: FirmwareJob, at: number): Promise<boolean> {
    return this.setUnchanged(job, { cancelRequested: true, cancelRequestedAt: at }, [JobStatus.Downloading, JobStatus.Downloaded]);
  }

  recordDelivery(job: FirmwareJob, delivery: DeliveryMethod): Promise<boolean> {
    return this.setUnchanged(job, { delivery }, [JobStatus.Downloading]);
  }

  recordExecuteOutcome(job: FirmwareJob, outcome: ExecuteOutcome, at: number): Promise<boolean> {
    return this.setUnchanged(job, { executeOutcome: outcome, executeEndedAt: at }, [JobStatus.Updating]);
  }

  /**
   * Sets attributes outside the state machine on a job that has not changed since it was read (its
   * version), and is in one of `statuses` when given. The version is not bumped: these writes
   * inform the job's next transition, they are not one.
   */
  private setUnchanged(job: JobRef, attributes: Readonly<Record<string, string | number | boolean>>, statuses: readonly JobStatus[] = []): Promise<boolean> {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':version': job.version };
    const sets = Object.entries(attributes).map(([key, value], i) => {
      names[`#a${i}`] = key;
      values[`:a${i}`] = value;
      return `#a${i} = :a${i}`;
    });
    const conditions = ['#version = :version'];
    if (statuses.length > 0) {
      names['#status'] = 'status';
      statuses.forEach((status, i) => (values[`:s${i}`] = status));
      conditions.push(`#status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`);
    }
    return whenConditionHolds(
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { campaignId: job.campaignId, jobKey: job.jobKey },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  listCohort(campaignId: string, cohort: number): Promise<FirmwareJob[]> {
    return this.queryAll({
      KeyConditionExpression: 'campaignId = :c AND begins_with(jobKey, :prefix)',
      ExpressionAttributeValues: { ':c': campaignId, ':prefix': cohortPrefix(cohort) },
      ConsistentRead: true,
    });
  }

  /**
   * Eventually consistent: the monitor's decisions are conditional writes on what it read, and an
   * older read shows a job less advanced, never a phase complete that is not.
   */
  listCohortProgress(campaignId: string, cohort: number): Promise<JobProgress[]> {
    const names = Object.fromEntries(JOB_PROGRESS_ATTRIBUTES.map((name, i) => [`#p${i}`, name]));
    return this.queryAll<JobProgress>({
      KeyConditionExpression: 'campaignId = :c AND begins_with(jobKey, :prefix)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':c': campaignId, ':prefix': cohortPrefix(cohort) },
      ProjectionExpression: Object.keys(names).join(', '),
    });
  }

  listCampaign(campaignId: string): Promise<FirmwareJob[]> {
    return this.queryAll({ KeyConditionExpression: 'campaignId = :c', ExpressionAttributeValues: { ':c': campaignId }, ConsistentRead: true });
  }

  /** byEndpoint holds keys only (store/schema.ts): the device's jobs are then read from the table. */
  async listForEndpoint(endpoint: string): Promise<FirmwareJob[]> {
    const keys = await this.queryAll({ IndexName: JOBS_BY_ENDPOINT_INDEX, KeyConditionExpression: 'endpoint = :e', ExpressionAttributeValues: { ':e': endpoint } });
    return this.getMany(keys);
  }

  /** byOwner holds the keys and what other writers change (store/schema.ts): the owner reads the jobs it needs from the table. */
  async listOwned(ownerTask: string): Promise<OwnedJobEntry[]> {
    const entries = await this.queryAll({ IndexName: JOBS_BY_OWNER_INDEX, KeyConditionExpression: 'ownerTask = :o', ExpressionAttributeValues: { ':o': ownerTask } });
    return entries.map(({ campaignId, jobKey, attempt, cancelRequested }) => ({
      campaignId,
      jobKey,
      attempt,
      ...(cancelRequested === undefined ? {} : { cancelRequested }),
    }));
  }

  /**
   * A keyed token names its job: one consistent GetItem, and its secret must be the one of the
   * job's current attempt. Other tokens through byToken, which holds keys only (store/schema.ts).
   */
  async findByToken(token: string): Promise<FirmwareJob | undefined> {
    const keyed = parseKeyedToken(token);
    if (keyed !== undefined) {
      const job = await this.get(keyed.campaignId, keyed.jobKey);
      return job?.packageSecret !== undefined && sameSecret(job.packageSecret, keyed.secret) ? job : undefined;
    }
    const [key] = await this.queryAll({ IndexName: JOBS_BY_TOKEN_INDEX, KeyConditionExpression: 'downloadToken = :t', ExpressionAttributeValues: { ':t': token } });
    return key === undefined ? undefined : this.get(key.campaignId, key.jobKey);
  }

  /** BatchGetItem, 100 keys a call, several calls in flight at once; in campaign order. */
  async getMany(keys: readonly JobKey[]): Promise<FirmwareJob[]> {
    const chunks: JobKey[][] = [];
    for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
    const read = await mapWithLimit(chunks, PARALLEL_BATCHES, async (chunk) => {
      const found: FirmwareJob[] = [];
      let pending: Record<string, unknown>[] = chunk.map(({ campaignId, jobKey }) => ({ campaignId, jobKey }));
      // BatchGet may hand back unprocessed keys under throttling: ask again with backoff.
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
        const result = await this.dynamo.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
        found.push(...((result.Responses?.[this.tableName] ?? []) as FirmwareJob[]));
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
      return found;
    });
    return read.flat().sort((a, b) => (a.campaignId < b.campaignId ? -1 : a.campaignId > b.campaignId ? 1 : 0));
  }

  private async queryAll<T = FirmwareJob>(input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey }));
      items.push(...((page.Items ?? []) as T[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
}

/** Compared in constant time: the secret is what stands between a guessed key and the image. */
function sameSecret(held: string, given: string): boolean {
  const [a, b] = [Buffer.from(held), Buffer.from(given)];
  return a.length === b.length && timingSafeEqual(a, b);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
