import type { KeyValue } from './any-value.js';

/** Development-status entity reference on a Resource; carried through untouched. */
export interface EntityRef {
  schemaUrl: string;
  type: string;
  idKeys: string[];
  descriptionKeys: string[];
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount: number;
  entityRefs: EntityRef[];
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export function createResource(attributes: KeyValue[] = []): Resource {
  return { attributes, droppedAttributesCount: 0, entityRefs: [] };
}

export function createScope(name = '', version = '', attributes: KeyValue[] = []): InstrumentationScope {
  return { name, version, attributes, droppedAttributesCount: 0 };
}
