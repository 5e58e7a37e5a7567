/**
 * dynalite 4.0.0 stores each index entry under the index key followed by the first six hex
 * characters (24 bits) of an MD5 of the item's table key. Two items with the same index key (in
 * `byOwner`: one edge task's jobs in one status) collide with a probability of about n^2 / 2^25:
 * some three pairs among 10,000 jobs. The later entry replaces the earlier, and when either item
 * leaves that key its delete takes the other's entry with it: that job is never listed again (the
 * 10,000-device load test lost one job a run, DOWNLOADED with its install requested, to its 900 s
 * install deadline). DynamoDB has no such limit. This keys index entries by the whole hash of the
 * table key instead, and every write to an item removes its entry under the old short key too, so
 * data kept with `--data` from before stays consistent. No copy of dynalite is patched: its write
 * actions and its Query and Scan (for an ExclusiveStartKey) call these through its `db` module.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

type Item = Record<string, Record<string, unknown>>;

interface KeySchemaElement {
  readonly AttributeName: string;
}

interface IndexDescription {
  readonly IndexName: string;
  readonly KeySchema: readonly KeySchemaElement[];
  readonly Projection: { readonly ProjectionType: string; readonly NonKeyAttributes?: readonly string[] };
}

interface TableDescription {
  readonly TableName: string;
  readonly KeySchema: readonly KeySchemaElement[];
  readonly LocalSecondaryIndexes?: readonly IndexDescription[];
  readonly GlobalSecondaryIndexes?: readonly IndexDescription[];
}

interface IndexDb {
  put(key: string, item: Item, cb: (error?: unknown) => void): void;
  del(key: string, cb: (error?: unknown) => void): void;
}

interface Store {
  getIndexDb(indexType: 'Local' | 'Global', tableName: string, indexName: string): IndexDb;
}

type KeyVisitor = (attr: string, type: string) => void;

/** The parts of dynalite's `db` module (dynalite/db/index.js) used and replaced here. */
interface DynaliteDb {
  createKey(item: Item, table: TableDescription, keySchema?: readonly KeySchemaElement[]): string;
  createIndexKey(item: Item, table: TableDescription, keySchema: readonly KeySchemaElement[]): string;
  traverseKey(table: TableDescription, visit: KeyVisitor): void;
  updateIndexes(store: Store, table: TableDescription, existingItem: Item | null | undefined, item: Item | null | undefined, cb: (error?: unknown) => void): void;
}

interface IndexAction {
  readonly db: IndexDb;
  readonly key: string;
  readonly item?: Item;
}

let installed = false;

/** Installs the whole-hash index keys once per process, before dynalite stores anything. */
export function wholeHashIndexKeys(): void {
  if (installed) return;
  installed = true;
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const db = fromDynalite('./db') as DynaliteDb;
  const legacyIndexKey = db.createIndexKey.bind(db);
  const tableKeyHash = (item: Item, table: TableDescription): string => {
    const pieces: unknown[] = [];
    // traverseKey stops at the first visit that returns something: this one returns nothing.
    db.traverseKey(table, (attr, type) => {
      pieces.push(item[attr]?.[type], type);
    });
    return createHash('md5').update(JSON.stringify(pieces)).digest('hex');
  };
  const indexKey = (item: Item, table: TableDescription, keySchema: readonly KeySchemaElement[]): string => `${db.createKey(item, table, keySchema)}${tableKeyHash(item, table)}`;
  db.createIndexKey = indexKey;
  db.updateIndexes = (store, table, existingItem, item, cb) => {
    const puts: IndexAction[] = [];
    const deletes: IndexAction[] = [];
    const tableKeys = table.KeySchema.map((key) => key.AttributeName);
    for (const [indexType, indexes] of [['Local', table.LocalSecondaryIndexes ?? []], ['Global', table.GlobalSecondaryIndexes ?? []]] as const) {
      for (const index of indexes) {
        const indexDb = store.getIndexDb(indexType, table.TableName, index.IndexName);
        const indexKeys = index.KeySchema.map((key) => key.AttributeName);
        const inIndex = (entry: Item | null | undefined): entry is Item => entry != null && indexKeys.every((key) => entry[key] != null);
        let key: string | undefined;
        if (inIndex(item)) {
          const attributes = index.Projection.ProjectionType === 'ALL' ? undefined : [...indexKeys, ...tableKeys, ...(index.Projection.NonKeyAttributes ?? [])];
          const entry = attributes === undefined ? item : Object.fromEntries(attributes.filter((name) => item[name] !== undefined).map((name) => [name, item[name] as Record<string, unknown>]));
          key = indexKey(entry, table, index.KeySchema);
          puts.push({ db: indexDb, key, item: entry });
        }
        if (inIndex(existingItem)) {
          const existingKey = indexKey(existingItem, table, index.KeySchema);
          if (existingKey !== key) deletes.push({ db: indexDb, key: existingKey });
          deletes.push({ db: indexDb, key: legacyIndexKey(existingItem, table, index.KeySchema) });
        }
      }
    }
    const run = (actions: IndexAction[], apply: (action: IndexAction, done: (error?: unknown) => void) => void): Promise<void> =>
      Promise.all(actions.map((action) => new Promise<void>((resolve, reject) => apply(action, (error) => (error == null ? resolve() : reject(error)))))).then(() => undefined);
    run(deletes, (action, done) => action.db.del(action.key, done))
      .then(() => run(puts, (action, done) => action.db.put(action.key, action.item ?? {}, done)))
      .then(() => cb(), cb);
  };
}
