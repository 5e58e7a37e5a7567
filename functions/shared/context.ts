/**
 * Per-process context of a Lambda handler: configuration read and clients built once, on first
 * use (a Lambda container reuses them across invocations; the local runner shares one process).
 */
import { loadStoreConfig } from '../../store/config.ts';
import { createStores, type Stores } from '../../store/Stores.ts';

let stores: Stores | undefined;

export function handlerStores(): Stores {
  stores ??= createStores(loadStoreConfig());
  return stores;
}

/** For the local stack and tests: use these stores instead of reading the environment. */
export function useHandlerStores(value: Stores | undefined): void {
  stores = value;
}
