import { parseComponentId } from '@semtel/component';
import type { ConfigIssue } from './config-error.js';

interface PipelineComponents {
  readonly id: string;
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

interface ParsedComponent {
  readonly config: unknown;
}

const durableQueueType = 'durable_queue';

/**
 * A durable queue deletes an entry once the rest of the pipeline resolved it, so everything after
 * it must resolve only after delivery: exporters without a sending queue and a semantic processor
 * that waits for its held spans' release. Anything that acknowledges earlier would let a crash
 * lose data the queue already deleted, so it is a configuration error, reported with the fix.
 */
export function durableQueueAcknowledgementIssues(
  pipelines: readonly PipelineComponents[],
  processors: ReadonlyMap<string, ParsedComponent | undefined>,
  exporters: ReadonlyMap<string, ParsedComponent | undefined>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const pipeline of pipelines) {
    const path = `service.pipelines.${pipeline.id}`;
    const queueIndex = pipeline.processors.findIndex((id) => parseComponentId(id).type === durableQueueType);
    if (queueIndex < 0) continue;
    const queue = pipeline.processors[queueIndex];
    pipeline.processors.forEach((id, index) => {
      const itemPath = `${path}.processors[${index}]`;
      const type = parseComponentId(id).type;
      if (index > queueIndex && type === durableQueueType) {
        issues.push({
          path: itemPath,
          message: `a pipeline takes one durable_queue; "${queue}" already stores its data`,
        });
        return;
      }
      const waitForRelease = field(processors.get(id)?.config, ['wait_for_release']);
      if (waitForRelease !== false) return;
      if (index < queueIndex) {
        issues.push({
          path: itemPath,
          message: `processor "${id}" holds spans before "${queue}" has stored them; put "${queue}" before it (right after memory_limiter)`,
        });
      } else {
        issues.push({
          path: itemPath,
          message: `processor "${id}" acknowledges held spans before they are delivered, so "${queue}" would delete them too early; set processors.${id}.wait_for_release: true`,
        });
      }
    });
    pipeline.exporters.forEach((id, index) => {
      if (field(exporters.get(id)?.config, ['sending_queue', 'enabled']) !== true) return;
      issues.push({
        path: `${path}.exporters[${index}]`,
        message: `exporter "${id}" acknowledges data once queued in memory, so "${queue}" would delete it before delivery; set exporters.${id}.sending_queue.enabled: false (the durable queue replaces it)`,
      });
    });
  }
  return issues;
}

function field(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
