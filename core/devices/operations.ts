/**
 * What an operation must satisfy before it is held for a device: the path level each LwM2M
 * operation acts on (LwM2M TS 1.1 §5.4), values that fit their resources, Execute arguments that
 * follow §5.4.5. The API checks with the registry it has; the edge checks again with its own
 * (which may hold custom objects) when it builds the payload.
 */
import { assertNever, fail, ok, type Result } from '../result.ts';
import { LwM2mPath, type LwM2mPathLevel } from '../lwm2m/LwM2mPath.ts';
import type { ObjectRegistry } from '../lwm2m/objectRegistry.ts';
import { parseExecuteArguments } from '../lwm2m/executeArguments.ts';
import type { DeviceOperation } from './DeviceRequest.ts';
import { InvalidOperationError } from './errors.ts';
import { entriesFromJson } from './jsonValues.ts';

/** 65535 is reserved (LwM2M TS 1.1 §7.1): it cannot name a created instance. */
export const MAX_INSTANCE_ID = 65534;

/** Parses a path, "/" being the root (Read-Composite and Observe-Composite may name it). */
export function parseOperationPath(text: string): Result<LwM2mPath, InvalidOperationError> {
  if (text === '/' || text === '') return ok(LwM2mPath.root());
  const parsed = LwM2mPath.parse(text);
  return parsed.success ? parsed : fail(new InvalidOperationError(parsed.error.message));
}

function pathAt(text: string, levels: readonly LwM2mPathLevel[], operation: string): Result<LwM2mPath, InvalidOperationError> {
  const parsed = parseOperationPath(text);
  if (!parsed.success) return parsed;
  if (!levels.includes(parsed.data.level)) {
    return fail(new InvalidOperationError(`${operation} acts on ${levels.join(' or ')} paths, not ${parsed.data.level} ${parsed.data.toString()}`));
  }
  return parsed;
}

function paths(list: readonly string[], operation: string): Result<LwM2mPath[], InvalidOperationError> {
  if (list.length === 0) return fail(new InvalidOperationError(`${operation} needs at least one path`));
  const parsed: LwM2mPath[] = [];
  for (const text of list) {
    const path = parseOperationPath(text);
    if (!path.success) return path;
    parsed.push(path.data);
  }
  return ok(parsed);
}

const ANY_NODE: readonly LwM2mPathLevel[] = ['object', 'instance', 'resource', 'resourceInstance'];

/** The operation unchanged when it can be sent, else the reason it cannot. */
export function checkDeviceOperation(operation: DeviceOperation, registry: ObjectRegistry): Result<DeviceOperation, InvalidOperationError> {
  const verdict = check(operation, registry);
  return verdict === undefined ? ok(operation) : fail(verdict);
}

function check(operation: DeviceOperation, registry: ObjectRegistry): InvalidOperationError | undefined {
  const failure = <T>(result: Result<T, InvalidOperationError>): InvalidOperationError | undefined => (result.success ? undefined : result.error);
  switch (operation.kind) {
    case 'read':
    case 'discover':
    case 'observe':
    case 'cancelObservation':
    case 'writeAttributes':
      return failure(pathAt(operation.path, ANY_NODE, operation.kind));
    case 'write':
      return failure(pathAt(operation.path, ['resource', 'resourceInstance'], 'write'));
    case 'delete':
      return failure(pathAt(operation.path, ['instance', 'resourceInstance'], 'delete'));
    case 'execute': {
      const path = pathAt(operation.path, ['resource'], 'execute');
      if (!path.success) return path.error;
      const args = parseExecuteArguments(operation.args ?? '');
      return args.success ? undefined : new InvalidOperationError(args.error.message);
    }
    case 'writeInstance': {
      const path = pathAt(operation.path, ['instance'], 'writeInstance');
      return path.success ? failure(entriesFromJson(path.data, operation.values, registry)) : path.error;
    }
    case 'create': {
      const path = pathAt(operation.path, ['object'], 'create');
      if (!path.success) return path.error;
      const id = operation.instanceId;
      if (id !== undefined && (!Number.isInteger(id) || id < 0 || id > MAX_INSTANCE_ID)) {
        return new InvalidOperationError(`instanceId must be 0..${MAX_INSTANCE_ID}`);
      }
      return failure(entriesFromJson(path.data.append(id ?? 0), operation.values, registry));
    }
    case 'readComposite':
    case 'observeComposite':
    case 'cancelObservationComposite':
      return failure(paths(operation.paths, operation.kind));
    case 'writeComposite':
      return failure(entriesFromJson(LwM2mPath.root(), operation.values, registry));
    default:
      return assertNever(operation);
  }
}

/** The paths of a composite operation, parsed (call after checkDeviceOperation). */
export function compositePaths(list: readonly string[]): LwM2mPath[] {
  const parsed = paths(list, 'composite');
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}
