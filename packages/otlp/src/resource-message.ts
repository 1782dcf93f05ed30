import type { EntityRef, InstrumentationScope, Resource } from '@semtel/pdata';
import { keyValuesFromMessages, keyValuesToMessages } from './any-value-message.js';
import type { EntityRefMessage, ResourceMessage, ScopeMessage } from './message-types.js';

export function resourceFromMessage(message: ResourceMessage | null | undefined): Resource {
  if (!message) return { attributes: [], droppedAttributesCount: 0, entityRefs: [] };
  const entityRefs = message.entityRefs;
  return {
    attributes: keyValuesFromMessages(message.attributes),
    droppedAttributesCount: message.droppedAttributesCount ?? 0,
    entityRefs: entityRefs && entityRefs.length > 0 ? entityRefs.map(entityRefFromMessage) : [],
  };
}

function entityRefFromMessage(message: EntityRefMessage): EntityRef {
  return {
    schemaUrl: message.schemaUrl ?? '',
    type: message.type ?? '',
    idKeys: [...(message.idKeys ?? [])],
    descriptionKeys: [...(message.descriptionKeys ?? [])],
  };
}

export function scopeFromMessage(message: ScopeMessage | null | undefined): InstrumentationScope {
  if (!message) return { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
  return {
    name: message.name ?? '',
    version: message.version ?? '',
    attributes: keyValuesFromMessages(message.attributes),
    droppedAttributesCount: message.droppedAttributesCount ?? 0,
  };
}

export function resourceToMessage(resource: Resource): ResourceMessage {
  const message: ResourceMessage = {};
  if (resource.attributes.length > 0) message.attributes = keyValuesToMessages(resource.attributes);
  if (resource.droppedAttributesCount) message.droppedAttributesCount = resource.droppedAttributesCount;
  if (resource.entityRefs.length > 0) {
    message.entityRefs = resource.entityRefs.map((entityRef) => {
      const entity: EntityRefMessage = {};
      if (entityRef.schemaUrl) entity.schemaUrl = entityRef.schemaUrl;
      if (entityRef.type) entity.type = entityRef.type;
      if (entityRef.idKeys.length > 0) entity.idKeys = entityRef.idKeys;
      if (entityRef.descriptionKeys.length > 0) entity.descriptionKeys = entityRef.descriptionKeys;
      return entity;
    });
  }
  return message;
}

export function scopeToMessage(scope: InstrumentationScope): ScopeMessage {
  const message: ScopeMessage = {};
  if (scope.name) message.name = scope.name;
  if (scope.version) message.version = scope.version;
  if (scope.attributes.length > 0) message.attributes = keyValuesToMessages(scope.attributes);
  if (scope.droppedAttributesCount) message.droppedAttributesCount = scope.droppedAttributesCount;
  return message;
}
