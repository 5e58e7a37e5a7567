import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadObjectRegistry } from '../../coap-edge/objects/objectModelFiles.ts';

describe('object models from a folder of DDF files', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fota-ddf-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('adds every object of the *.xml files to the OMA objects, ignoring other files', async () => {
    await copyFile(new URL('../core/lwm2m/fixtures/10241-valve.xml', import.meta.url), join(directory, '10241.xml'));
    await writeFile(join(directory, 'README.txt'), 'not a model');

    const registry = await loadObjectRegistry(directory);

    expect(registry.resource(10241, 3)).toMatchObject({ name: 'Leak Threshold', type: 'unsignedInteger' });
    expect(registry.resource(3303, 5700)?.type).toBe('float');
  });

  it('stops with the name of a file that is not a valid definition', async () => {
    await writeFile(join(directory, 'broken.xml'), '<LWM2M><Object><ObjectID>x</ObjectID></Object></LWM2M>');
    await expect(loadObjectRegistry(directory)).rejects.toMatchObject({ name: 'ObjectDefinitionError', message: expect.stringContaining('broken.xml') });
  });
});
