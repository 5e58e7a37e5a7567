/**
 * Custom objects from OMA object definition (DDF) files: every `*.xml` in a folder is parsed
 * (core/lwm2m/ddf.ts) and registered over the OMA objects, so a vendor's object 10241 decodes
 * with its resource types. Read once at start-up; a bad file stops the start with its name.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseObjectDefinitions } from '../../core/lwm2m/ddf.ts';
import { ObjectRegistry } from '../../core/lwm2m/objectRegistry.ts';
import { OMA_OBJECTS } from '../../core/lwm2m/omaObjects.ts';
import { ObjectDefinitionError } from '../../core/lwm2m/errors.ts';

export async function loadObjectRegistry(directory: string): Promise<ObjectRegistry> {
  const registry = new ObjectRegistry(OMA_OBJECTS);
  const files = (await readdir(directory)).filter((name) => name.toLowerCase().endsWith('.xml')).sort();
  for (const file of files) {
    const parsed = parseObjectDefinitions(await readFile(join(directory, file), 'utf8'));
    if (!parsed.success) throw new ObjectDefinitionError(`${file}: ${parsed.error.message}`, { cause: parsed.error });
    for (const model of parsed.data) registry.register(model);
  }
  return registry;
}
