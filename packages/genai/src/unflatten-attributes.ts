import type { KeyValue } from '@semtel/pdata';
import { plainValue } from './plain-value.js';

type Tree = Map<string, Tree | unknown>;

/** Real keys nest a handful of levels; the cap keeps the recursion below bounded. */
const maximumSegments = 16;

/**
 * Rebuilds the nested structure that OpenLLMetry and OpenInference flatten into attribute keys:
 * `llm.input_messages.0.message.role` under the prefix `llm.input_messages` becomes
 * `[{message: {role}}]`. Levels whose keys are all integers become arrays ordered by index
 * (gaps closed), so a sparse or huge index never allocates a sparse array.
 */
export function unflattenAttributes(attributes: readonly KeyValue[], prefix: string): unknown[] {
  const root: Tree = new Map();
  const start = `${prefix}.`;
  for (const attribute of attributes) {
    if (!attribute.key.startsWith(start)) continue;
    const path = attribute.key.slice(start.length).split('.');
    if (path.length > maximumSegments) continue;
    let node = root;
    for (let index = 0; index < path.length; index += 1) {
      const segment = path[index] ?? '';
      if (index === path.length - 1) {
        // A scalar and a subtree under one key: the deeper structure wins, the scalar is dropped.
        if (!(node.get(segment) instanceof Map)) node.set(segment, plainValue(attribute.value));
        break;
      }
      let child = node.get(segment);
      if (!(child instanceof Map)) {
        child = new Map();
        node.set(segment, child);
      }
      node = child as Tree;
    }
  }
  const result = materialise(root);
  return Array.isArray(result) ? result : [];
}

function materialise(node: Tree): unknown {
  const keys = [...node.keys()];
  const value = (key: string): unknown => {
    const child = node.get(key);
    return child instanceof Map ? materialise(child as Tree) : child;
  };
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys.sort((left, right) => Number(left) - Number(right)).map(value);
  }
  const result: Record<string, unknown> = {};
  for (const key of keys) result[key] = value(key);
  return result;
}
