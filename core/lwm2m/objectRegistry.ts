import { OMA_OBJECTS } from './omaObjects.ts';

/** Resource data types of the OMA object model (LwM2M TS 1.1 Appendix C). */
export type ResourceType =
  | 'string'
  | 'integer'
  | 'unsignedInteger'
  | 'float'
  | 'boolean'
  | 'opaque'
  | 'time'
  | 'objlnk'
  | 'corelnk'
  | 'none';

/** Operations a server may perform on a resource; '' for Security object resources. */
export type ResourceOperations = 'R' | 'W' | 'RW' | 'E' | '';

export interface ResourceModel {
  readonly id: number;
  readonly name: string;
  readonly operations: ResourceOperations;
  readonly type: ResourceType;
  readonly multiple: boolean;
  readonly mandatory: boolean;
}

export interface ObjectModel {
  readonly id: number;
  readonly name: string;
  readonly version: string;
  readonly multiple: boolean;
  readonly mandatory: boolean;
  readonly resources: ReadonlyMap<number, ResourceModel>;
}

/** Object models by object id; codecs ask it for resource types. */
export class ObjectRegistry {
  private readonly objects = new Map<number, ObjectModel>();

  constructor(models: Iterable<ObjectModel> = []) {
    for (const model of models) this.register(model);
  }

  get(objectId: number): ObjectModel | undefined {
    return this.objects.get(objectId);
  }

  resource(objectId: number, resourceId: number): ResourceModel | undefined {
    return this.objects.get(objectId)?.resources.get(resourceId);
  }

  /** Adds a model, replacing any model with the same object id. */
  register(model: ObjectModel): this {
    this.objects.set(model.id, model);
    return this;
  }

  /** Registered object ids in ascending order. */
  objectIds(): number[] {
    return [...this.objects.keys()].sort((a, b) => a - b);
  }
}

/** The core OMA objects this server manages: 0, 1, 3, 4, 5, 6, 11, 3303, 3313. */
export const defaultObjectRegistry: ObjectRegistry = new ObjectRegistry(OMA_OBJECTS);
