import type { ItemLabels } from './classifier.js';
import { defaultTaxonomy } from './default-taxonomy.js';
import { unknownLabel } from './taxonomy.js';
import type { Taxonomy } from './taxonomy.js';

/**
 * Derives the roll-up attributes (task_group, task_complexity_band, automation_vs_augmentation by
 * default) from an item's labels. A roll-up whose source dimension is absent from `labels` is left out;
 * a source label that maps to no group (e.g. `unknown`, `unclear`) gives `unknown`.
 */
export function computeRollups(labels: ItemLabels, taxonomy?: Taxonomy): Record<string, string> {
  const rollups = taxonomy?.rollups ?? defaultTaxonomy().rollups ?? [];
  const result: Record<string, string> = {};
  for (const rollup of rollups) {
    const label = labels[rollup.source];
    if (typeof label !== 'string') continue;
    let group = unknownLabel;
    for (const [name, members] of Object.entries(rollup.groups)) {
      if (members.includes(label)) {
        group = name;
        break;
      }
    }
    result[rollup.name] = group;
  }
  return result;
}
