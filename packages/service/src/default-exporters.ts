import type { ConfigIssue } from './config-error.js';

export interface DefaultExportersResult {
  tree: Record<string, unknown>;
  notices: ConfigIssue[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A pipeline without an `exporters` list sends to `debug` plus a JSON-lines file, as the default
 * configuration does, so data is never received only to go nowhere. Exporters the user
 * defined under the same ids are left as they are.
 */
export function applyDefaultExporters(tree: Record<string, unknown>): DefaultExportersResult {
  const service = tree.service;
  if (!isRecord(service) || !isRecord(service.pipelines)) return { tree, notices: [] };
  const notices: ConfigIssue[] = [];
  const exporters: Record<string, unknown> = isRecord(tree.exporters) ? { ...tree.exporters } : {};
  const pipelines: Record<string, unknown> = { ...service.pipelines };
  for (const [pipelineId, pipeline] of Object.entries(pipelines)) {
    const named = isRecord(pipeline) ? pipeline.exporters : undefined;
    if (pipeline !== null && pipeline !== undefined && !isRecord(pipeline)) continue;
    // Only an absent list means "none configured"; an explicit `[]` is reported by validation.
    if (named !== undefined) continue;
    const fileName = pipelineId.replaceAll(/[^A-Za-z0-9_-]/g, '_');
    const fileId = `file/${fileName}`;
    exporters.debug ??= {};
    exporters[fileId] ??= { path: `./data/${fileName}.jsonl` };
    pipelines[pipelineId] = { ...(isRecord(pipeline) ? pipeline : {}), exporters: ['debug', fileId] };
    notices.push({
      path: `service.pipelines.${pipelineId}.exporters`,
      message: `no exporter configured: sending to debug and ${fileId}`,
    });
  }
  if (notices.length === 0) return { tree, notices };
  return { tree: { ...tree, exporters, service: { ...service, pipelines } }, notices };
}
