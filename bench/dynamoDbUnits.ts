/**
 * Counts the DynamoDB request units of every call an SDK client makes, as DynamoDB reports them
 * (`ReturnConsumedCapacity: INDEXES` on every item, query and batch call), with the write units
 * broken down by table and by operation: what the cost benchmark prints to show which writes
 * cost what. Against dynalite, the index writes are in the report only once
 * local/dynaliteIndexCapacity.ts is installed (dynalite alone reports the base table's units).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface ConsumedCapacity {
  TableName?: string;
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

interface WriteInput {
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** The write units of one kind of write to one table. */
export interface WriteUnitsRow {
  readonly table: string;
  readonly operation: string;
  readonly requests: number;
  readonly units: number;
  /** Of `units`, those billed to global secondary indexes (undefined where the report does not split them: batches). */
  readonly indexUnits: number | undefined;
}

export class DynamoDbUnitCounter {
  readUnits = 0;
  writeUnits = 0;
  requests = 0;
  private readonly rows = new Map<string, { -readonly [K in keyof WriteUnitsRow]: WriteUnitsRow[K] }>();
  private readonly reads = new Map<string, { requests: number; units: number }>();

  /** Counts every call of `client` from now on. */
  install(client: DynamoDBDocumentClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? '';
        const input = args.input as WriteInput & { ReturnConsumedCapacity?: string };
        if (/Item|Query|Scan|Put|Get|Update|Delete|Batch|Transact/.test(command)) input.ReturnConsumedCapacity = 'INDEXES';
        const result = await next(args);
        this.requests++;
        const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
        for (const capacity of Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) {
          const units = capacity.WriteCapacityUnits ?? capacity.ReadCapacityUnits ?? capacity.CapacityUnits ?? 0;
          if (/Put|Update|Delete|Write/.test(command)) this.countWrite(capacity, units, operationOf(command.replace(/Command$/, ''), input));
          else this.countRead(capacity.TableName ?? '?', units, command.replace(/Command$/, ''));
        }
        return result;
      },
      { step: 'initialize', name: 'countConsumedCapacity' },
    );
  }

  /** Forgets what was counted so far: the counts start again from zero. */
  reset(): void {
    this.readUnits = 0;
    this.writeUnits = 0;
    this.requests = 0;
    this.rows.clear();
    this.reads.clear();
  }

  /** The read units by table and command, most first. */
  readRows(): { readonly what: string; readonly requests: number; readonly units: number }[] {
    return [...this.reads].map(([what, row]) => ({ what, ...row })).sort((a, b) => b.units - a.units);
  }

  private countRead(table: string, units: number, command: string): void {
    this.readUnits += units;
    const key = `${table} ${command}`;
    const row = this.reads.get(key) ?? { requests: 0, units: 0 };
    row.requests++;
    row.units += units;
    this.reads.set(key, row);
  }

  /** The write units by table and operation, most first. */
  writeRows(): WriteUnitsRow[] {
    return [...this.rows.values()].sort((a, b) => b.units - a.units);
  }

  private countWrite(capacity: ConsumedCapacity, units: number, operation: string): void {
    this.writeUnits += units;
    const table = capacity.TableName ?? '?';
    const key = `${table} ${operation}`;
    const row = this.rows.get(key) ?? { table, operation, requests: 0, units: 0, indexUnits: operation === 'BatchWriteItem' ? undefined : 0 };
    row.requests++;
    row.units += units;
    if (row.indexUnits !== undefined) row.indexUnits += Object.values(capacity.GlobalSecondaryIndexes ?? {}).reduce((sum, index) => sum + (index.CapacityUnits ?? 0), 0);
    this.rows.set(key, row);
  }
}

/**
 * A write named by what it does: an update by the attributes it sets and removes (and the status
 * it writes, when it writes one), anything else by its command.
 */
function operationOf(command: string, input: WriteInput): string {
  if (command !== 'UpdateItem' || input.UpdateExpression === undefined) return command;
  const names = input.ExpressionAttributeNames ?? {};
  const attributes = [...input.UpdateExpression.matchAll(/(?:SET|REMOVE|ADD|DELETE|,)\s*(#?\w+)/g)].map((match) => {
    const name = match[1] ?? '';
    return names[name] ?? name;
  });
  const status = input.ExpressionAttributeValues?.[':status'];
  const to = typeof status === 'string' ? ` -> ${status}` : '';
  return `UpdateItem${to} (${[...new Set(attributes)].sort().join(' ')})`;
}
