/**
 * dynalite reports the write units a request consumed on its base table only; DynamoDB also bills
 * a write to every global secondary index the write changes (Developer Guide, "Provisioned
 * throughput considerations for Global Secondary Indexes"), each sized by the index entry (the
 * projected attributes and the keys), rounded up to 1 KB:
 * - the item enters the index (the index key attributes appear): one write of the new entry;
 * - the item leaves it (they are removed, or the item is deleted): one write of the old entry;
 * - its index key changes: two writes, a delete of the old entry and a put of the new;
 * - it stays with the same key and a projected attribute changes: one write of the entry;
 * - nothing projected changes, or the item is in the index neither before nor after: nothing.
 * Installed (once per process, by the cost benchmark), this adds those units to the
 * `CapacityUnits` of a write's ConsumedCapacity as DynamoDB does, with `Table` and
 * `GlobalSecondaryIndexes` when `INDEXES` is asked for; a BatchWriteItem's per-table sum then
 * includes them too (dynalite's `Table` of a batch is that same sum). The units of every index are
 * also tallied for the whole process (`indexWriteUnits`). An update's entry is sized by the larger
 * of its old and new forms, as DynamoDB sizes the base table's write.
 */
import { createRequire } from 'node:module';
import { wholeHashIndexKeys } from './dynaliteIndexKeys.ts';

type Item = Record<string, unknown>;

interface KeySchemaElement {
  readonly AttributeName: string;
}

interface IndexDescription {
  readonly IndexName: string;
  readonly KeySchema: readonly KeySchemaElement[];
  readonly Projection: { readonly ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; readonly NonKeyAttributes?: readonly string[] };
}

interface TableDescription {
  readonly TableName: string;
  readonly KeySchema: readonly KeySchemaElement[];
  readonly GlobalSecondaryIndexes?: readonly IndexDescription[];
}

interface ConsumedCapacity {
  CapacityUnits: number;
  TableName: string;
  Table?: { CapacityUnits: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits: number }>;
}

interface DynaliteDb {
  itemSize(item: Item): number;
  addConsumedCapacity(data: { ReturnConsumedCapacity?: string }, isRead: boolean, newItem?: Item | null, oldItem?: Item | null): ConsumedCapacity | undefined;
  updateIndexes(store: unknown, table: TableDescription, existingItem: Item | null | undefined, item: Item | null | undefined, cb: (error?: unknown) => void): void;
}

let installed = false;
const tally = new Map<string, number>();

/** Installs the counting once per process (before or after dynalite starts: it patches dynalite's shared `db` module). */
export function reportIndexWriteCapacity(): void {
  if (installed) return;
  installed = true;
  // Counted around the index writes as the emulator makes them: with whole-hash keys, installed first.
  wholeHashIndexKeys();
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const db = fromDynalite('./db') as DynaliteDb;
  const addConsumedCapacity = db.addConsumedCapacity.bind(db);
  const updateIndexes = db.updateIndexes.bind(db);
  // Every write action calls addConsumedCapacity and then, in the same turn, updateIndexes: the
  // capacity object of the first is the one the second adds the index writes to.
  let pending: { capacity: ConsumedCapacity; indexes: boolean } | undefined;
  db.addConsumedCapacity = (data, isRead, newItem, oldItem) => {
    const capacity = addConsumedCapacity(data, isRead, newItem, oldItem);
    pending = isRead || capacity === undefined ? undefined : { capacity, indexes: data.ReturnConsumedCapacity === 'INDEXES' };
    return capacity;
  };
  db.updateIndexes = (store, table, existingItem, item, cb) => {
    const report = pending;
    pending = undefined;
    for (const index of table.GlobalSecondaryIndexes ?? []) {
      const units = indexWriteUnitsOf(db, table, index, existingItem ?? undefined, item ?? undefined);
      if (units === 0) continue;
      const name = `${table.TableName}/${index.IndexName}`;
      tally.set(name, (tally.get(name) ?? 0) + units);
      if (report === undefined) continue;
      report.capacity.CapacityUnits += units;
      if (report.indexes) (report.capacity.GlobalSecondaryIndexes ??= {})[index.IndexName] = { CapacityUnits: units };
    }
    updateIndexes(store, table, existingItem, item, cb);
  };
}

/** Write units billed to each global secondary index (`table/index`) since the counting was installed. */
export function indexWriteUnits(): ReadonlyMap<string, number> {
  return new Map(tally);
}

/** What one base-table write costs one index, by the rules above. */
function indexWriteUnitsOf(db: DynaliteDb, table: TableDescription, index: IndexDescription, before: Item | undefined, after: Item | undefined): number {
  const entryBefore = indexEntry(table, index, before);
  const entryAfter = indexEntry(table, index, after);
  const units = (entry: Item): number => Math.max(1, Math.ceil(db.itemSize(entry) / 1024));
  if (entryBefore === undefined) return entryAfter === undefined ? 0 : units(entryAfter);
  if (entryAfter === undefined) return units(entryBefore);
  const keyChanged = index.KeySchema.some(({ AttributeName }) => JSON.stringify(entryBefore[AttributeName]) !== JSON.stringify(entryAfter[AttributeName]));
  if (keyChanged) return units(entryBefore) + units(entryAfter);
  return JSON.stringify(sorted(entryBefore)) === JSON.stringify(sorted(entryAfter)) ? 0 : Math.max(units(entryBefore), units(entryAfter));
}

/** The item as the index holds it, or undefined when the item is not in the index (sparse). */
function indexEntry(table: TableDescription, index: IndexDescription, item: Item | undefined): Item | undefined {
  if (item === undefined || index.KeySchema.some(({ AttributeName }) => item[AttributeName] === undefined)) return undefined;
  if (index.Projection.ProjectionType === 'ALL') return item;
  const names = [...index.KeySchema, ...table.KeySchema].map(({ AttributeName }) => AttributeName).concat(index.Projection.NonKeyAttributes ?? []);
  return Object.fromEntries(names.filter((name) => item[name] !== undefined).map((name) => [name, item[name]]));
}

function sorted(item: Item): [string, unknown][] {
  return Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
