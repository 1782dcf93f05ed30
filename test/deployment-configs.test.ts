/**
 * Every deployment file we ship parses and holds together: semtel configs pass `semtel validate`,
 * otelcol configs are structurally sound (every component a pipeline names is defined, the gateway
 * routes traces and logs by trace id), Kubernetes manifests are well-formed and consistent with
 * the configs they embed and the memory limits they set, and the Dockerfile and compose file
 * build and run what they say.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinFactories, formatConfigIssue, loadConfig, parseConfigYaml, runCli } from '@semtel/service';
import { describe, expect, it } from 'vitest';

// The service's own YAML parser, so the files are read exactly as semtel reads them.
interface YamlDocument {
  errors: { message: string }[];
  toJS(): unknown;
}
const requireFromService = createRequire(fileURLToPath(new URL('../packages/service/package.json', import.meta.url)));
const yaml = requireFromService('yaml') as {
  parse(text: string): unknown;
  parseAllDocuments(text: string): YamlDocument[];
};

const root = fileURLToPath(new URL('..', import.meta.url));
const configDirectory = path.join(root, 'collector-config');
const k8sDirectory = path.join(configDirectory, 'k8s');

/** What the configs read from the environment without a default. */
const environment = { HONEYCOMB_API_KEY: 'test-key' };

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tree(value: unknown, where: string): Tree {
  if (!isTree(value)) throw new Error(`${where}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function readYaml(file: string): unknown {
  return yaml.parse(readFileSync(file, 'utf8'));
}

function readManifests(file: string): Tree[] {
  return yaml.parseAllDocuments(readFileSync(file, 'utf8')).map((document, index) => {
    expect(
      document.errors.map((error) => error.message),
      `${file} document ${index}`,
    ).toEqual([]);
    return tree(document.toJS(), `${path.basename(file)} document ${index}`);
  });
}

function filesIn(directory: string, pattern: RegExp): string[] {
  return readdirSync(directory)
    .filter((name) => pattern.test(name))
    .sort();
}

const semtelConfigs = filesIn(configDirectory, /^semtel-.*\.yaml$/);
const otelcolConfigs = filesIn(configDirectory, /^otelcol-.*\.yaml$/);
const manifestFiles = filesIn(k8sDirectory, /\.yaml$/);
const manifests = manifestFiles.flatMap((name) =>
  readManifests(path.join(k8sDirectory, name)).map((manifest) => ({ file: name, manifest })),
);

function byKind(kind: string): Tree[] {
  return manifests.filter(({ manifest }) => manifest.kind === kind).map(({ manifest }) => manifest);
}

function nameOf(manifest: Tree): string {
  return String(tree(manifest.metadata, 'metadata').name);
}

/** The `config.yaml` a ConfigMap holds. */
function embeddedConfig(configMapName: string): string {
  const configMap = byKind('ConfigMap').find((each) => nameOf(each) === configMapName);
  const text = isTree(configMap?.data) ? configMap.data['config.yaml'] : undefined;
  if (typeof text !== 'string') throw new Error(`ConfigMap ${configMapName} has no config.yaml`);
  return text;
}

/** Component types of the OpenTelemetry Collector (contrib) that our otelcol files may use. */
const knownOtelcolTypes: Record<string, string[]> = {
  receivers: ['otlp'],
  processors: ['memory_limiter', 'batch'],
  exporters: ['otlp_grpc', 'otlp_http', 'debug', 'load_balancing'],
  extensions: ['health_check'],
};

/** Structural problems of an otelcol config, as messages (empty when sound). */
function otelcolProblems(config: unknown): string[] {
  const problems: string[] = [];
  if (!isTree(config)) return ['not a mapping'];
  for (const section of ['receivers', 'exporters'] as const) {
    if (!isTree(config[section]) || Object.keys(config[section]).length === 0) problems.push(`${section}: missing`);
  }
  for (const [section, types] of Object.entries(knownOtelcolTypes)) {
    const components = config[section];
    if (components === undefined) continue;
    if (!isTree(components)) {
      problems.push(`${section}: not a mapping`);
      continue;
    }
    for (const id of Object.keys(components)) {
      const type = id.split('/')[0] ?? '';
      if (!types.includes(type)) problems.push(`${section}.${id}: unknown or deprecated type "${type}"`);
    }
  }
  const service = isTree(config.service) ? config.service : {};
  const pipelines = service.pipelines;
  if (!isTree(pipelines) || Object.keys(pipelines).length === 0) {
    problems.push('service.pipelines: missing');
    return problems;
  }
  const defined = (section: string, id: string): boolean => isTree(config[section]) && id in config[section];
  for (const id of strings(service.extensions)) {
    if (!defined('extensions', id)) problems.push(`service.extensions: "${id}" is not defined`);
  }
  for (const [pipelineId, pipelineValue] of Object.entries(pipelines)) {
    if (!/^(traces|logs|metrics)(\/[\w-]+)?$/.test(pipelineId)) problems.push(`pipeline ${pipelineId}: bad id`);
    const pipeline = isTree(pipelineValue) ? pipelineValue : {};
    for (const [key, section] of [
      ['receivers', 'receivers'],
      ['processors', 'processors'],
      ['exporters', 'exporters'],
    ] as const) {
      const ids = strings(pipeline[key]);
      if (key !== 'processors' && ids.length === 0) problems.push(`pipeline ${pipelineId}: no ${key}`);
      for (const id of ids) {
        if (!defined(section, id)) problems.push(`pipeline ${pipelineId}: ${section} "${id}" is not defined`);
      }
    }
    const processors = strings(pipeline.processors);
    if (processors.includes('memory_limiter') && processors[0] !== 'memory_limiter') {
      problems.push(`pipeline ${pipelineId}: memory_limiter must come first`);
    }
  }
  return problems;
}

async function validateWithCli(file: string): Promise<{ code: number; output: string }> {
  let output = '';
  const code = await runCli(['validate', file], {
    stdout: (text) => (output += text),
    stderr: (text) => (output += text),
    env: environment,
  });
  return { code, output };
}

/** Kubernetes quantities as used here: Mi / Gi. */
function mebibytes(quantity: unknown): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(String(quantity));
  if (match === null) throw new Error(`unexpected memory quantity ${String(quantity)}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

interface ContainerSpec {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { limits?: { memory?: string }; requests?: { memory?: string } };
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { port: string | number } };
  livenessProbe?: { httpGet?: { port: string | number } };
  startupProbe?: { httpGet?: { port: string | number } };
}

/** Deployments and StatefulSets: what runs pods from a template. */
function workloads(): Tree[] {
  return [...byKind('Deployment'), ...byKind('StatefulSet')];
}

function podSpecOf(workload: Tree): Tree {
  return tree(tree(tree(workload.spec, 'spec').template, 'template').spec, 'pod spec');
}

function containersOf(workload: Tree): ContainerSpec[] {
  const pod = podSpecOf(workload);
  return [...((pod.initContainers ?? []) as ContainerSpec[]), ...((pod.containers ?? []) as ContainerSpec[])];
}

function podLabelsOf(workload: Tree): Tree {
  return tree(tree(tree(tree(workload.spec, 'spec').template, 'template').metadata, 'metadata').labels, 'labels');
}

/** Durations as the configs write them: `500ms`, `15s`, `2m`. */
function milliseconds(duration: unknown): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(String(duration));
  if (match === null) throw new Error(`unexpected duration ${String(duration)}`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

/** An environment variable a container sets to a literal value. */
function variableOf(container: ContainerSpec, name: string): string | undefined {
  return container.env?.find((each) => each.name === name)?.value;
}

describe('semtel configurations', () => {
  it('ships the container, sidecar and gateway configs', () => {
    expect(semtelConfigs).toEqual(
      expect.arrayContaining(['semtel-container.yaml', 'semtel-sidecar.yaml', 'semtel-gateway.yaml']),
    );
  });

  it.each(semtelConfigs)('semtel validate %s', async (name) => {
    const result = await validateWithCli(path.join(configDirectory, name));
    expect(result.output.trim()).toBe('config is valid');
    expect(result.code).toBe(0);
  });

  it.each(semtelConfigs)('%s puts memory_limiter first in every pipeline', async (name) => {
    const loaded = await loadConfig(
      { configFile: path.join(configDirectory, name), env: environment },
      builtinFactories(),
    );
    expect(loaded.issues.map(formatConfigIssue)).toEqual([]);
    const pipelines = tree(tree(readYaml(path.join(configDirectory, name)), name).service, 'service').pipelines;
    for (const [id, pipeline] of Object.entries(tree(pipelines, 'pipelines'))) {
      expect(strings(tree(pipeline, id).processors)[0], `${name} ${id}`).toBe('memory_limiter');
    }
  });

  it('binds the container and gateway receivers to every address, and the sidecar to loopback', () => {
    const endpoints = (name: string): string[] => {
      const otlp = tree(tree(readYaml(path.join(configDirectory, name)), name).receivers, 'receivers').otlp;
      const protocols = tree(tree(otlp, 'otlp').protocols, 'protocols');
      return Object.values(protocols).map((protocol) => String(tree(protocol, 'protocol').endpoint));
    };
    expect(endpoints('semtel-container.yaml')).toEqual(['0.0.0.0:4317', '0.0.0.0:4318']);
    expect(endpoints('semtel-gateway.yaml')).toEqual(['0.0.0.0:4317', '0.0.0.0:4318']);
    expect(endpoints('semtel-sidecar.yaml')).toEqual(['127.0.0.1:4317', '127.0.0.1:4318']);
  });
});

describe('otelcol configurations', () => {
  it('ships the load-balancing gateway tier', () => {
    expect(otelcolConfigs).toContain('otelcol-gateway-load-balancing.yaml');
  });

  it.each(otelcolConfigs)('%s is structurally sound', (name) => {
    expect(otelcolProblems(readYaml(path.join(configDirectory, name)))).toEqual([]);
  });

  it('finds what is broken in an otelcol config', () => {
    expect(
      otelcolProblems({
        receivers: { otlp: {} },
        processors: { batch: {}, memory_limiter: {} },
        exporters: { loadbalancing: {} },
        service: {
          extensions: ['health_check'],
          pipelines: {
            traces: { receivers: ['otlp'], processors: ['batch', 'memory_limiter'], exporters: ['otlp_grpc'] },
            spans: { receivers: [], exporters: ['loadbalancing'] },
          },
        },
      }),
    ).toEqual([
      'exporters.loadbalancing: unknown or deprecated type "loadbalancing"',
      'service.extensions: "health_check" is not defined',
      'pipeline traces: exporters "otlp_grpc" is not defined',
      'pipeline traces: memory_limiter must come first',
      'pipeline spans: bad id',
      'pipeline spans: no receivers',
    ]);
  });

  it('routes traces and logs to the semtel replicas by trace id, and metrics elsewhere', () => {
    const config = tree(readYaml(path.join(configDirectory, 'otelcol-gateway-load-balancing.yaml')), 'gateway');
    const exporters = tree(config.exporters, 'exporters');
    const loadBalancing = tree(exporters.load_balancing, 'load_balancing');
    expect(loadBalancing.routing_key).toBe('traceID');
    const resolvers = Object.keys(tree(loadBalancing.resolver, 'resolver'));
    expect(resolvers).toHaveLength(1);
    expect(['static', 'dns', 'k8s']).toContain(resolvers[0]);
    const otlp = tree(tree(loadBalancing.protocol, 'protocol').otlp, 'protocol.otlp');
    expect(otlp).not.toHaveProperty('endpoint');

    const pipelines = tree(tree(config.service, 'service').pipelines, 'pipelines');
    const exportersOf = (id: string): string[] => strings(tree(pipelines[id], id).exporters);
    expect(exportersOf('traces')).toEqual(['load_balancing']);
    expect(exportersOf('logs')).toEqual(['load_balancing']);
    // traceID routing must not be used for metrics, which have no trace id.
    expect(exportersOf('metrics')).not.toContain('load_balancing');
  });
});

describe('Kubernetes manifests', () => {
  it('ships a sidecar and a gateway', () => {
    expect(manifestFiles).toEqual(['gateway.yaml', 'sidecar.yaml']);
    expect(byKind('Deployment').map(nameOf)).toEqual(['otel-lb', 'llm-app']);
    expect(byKind('StatefulSet').map(nameOf)).toEqual(['semtel-gateway']);
    expect(byKind('HorizontalPodAutoscaler').map(nameOf)).toEqual(['semtel-gateway']);
  });

  it('every document has apiVersion, kind and metadata.name', () => {
    for (const { file, manifest } of manifests) {
      expect(typeof manifest.apiVersion, file).toBe('string');
      expect(typeof manifest.kind, file).toBe('string');
      expect(nameOf(manifest), file).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it.each([
    ['semtel-sidecar-config', 'semtel-sidecar.yaml'],
    ['semtel-gateway-config', 'semtel-gateway.yaml'],
  ])('ConfigMap %s holds %s, which validates', async (configMap, file) => {
    const text = embeddedConfig(configMap);
    expect(yaml.parse(text)).toEqual(readYaml(path.join(configDirectory, file)));
    const loaded = await loadConfig({ config: text, env: environment }, builtinFactories());
    expect(loaded.issues.map(formatConfigIssue)).toEqual([]);
  });

  it('ConfigMap otel-lb-config holds otelcol-gateway-load-balancing.yaml', () => {
    const config = yaml.parse(embeddedConfig('otel-lb-config'));
    expect(config).toEqual(readYaml(path.join(configDirectory, 'otelcol-gateway-load-balancing.yaml')));
    expect(otelcolProblems(config)).toEqual([]);
  });

  it('sizes memory_limiter and the V8 heap inside each semtel container’s memory limit', () => {
    const semtelContainers = workloads().flatMap((workload) =>
      containersOf(workload).filter((container) => container.name === 'semtel'),
    );
    expect(semtelContainers).toHaveLength(2);
    for (const container of semtelContainers) {
      const variable = (name: string): string | undefined => container.env?.find((each) => each.name === name)?.value;
      const limitMib = Number(variable('SEMTEL_MEMORY_LIMIT_MIB'));
      const spikeMib = Number(variable('SEMTEL_MEMORY_SPIKE_LIMIT_MIB'));
      const containerMib = mebibytes(container.resources?.limits?.memory);
      const heapMib = Number(/--max-old-space-size=(\d+)/.exec(variable('NODE_OPTIONS') ?? '')?.[1]);
      expect(variable('NODE_OPTIONS')).toContain('--expose-gc');
      // The hard limit leaves headroom below the OOM kill, the heap cap stays under the soft limit.
      expect(limitMib).toBeGreaterThan(0);
      expect(limitMib).toBeLessThanOrEqual(containerMib * 0.85);
      expect(spikeMib).toBeGreaterThan(0);
      expect(heapMib).toBeLessThanOrEqual(limitMib - spikeMib);
      // Guaranteed memory: the scheduler reserves what the limiter plans with.
      expect(mebibytes(container.resources?.requests?.memory)).toBe(containerMib);
    }
  });

  it('probes named ports, mounts defined ConfigMaps, and selects pods that exist', () => {
    const configMaps = byKind('ConfigMap').map(nameOf);
    const deployments = workloads();
    for (const deployment of deployments) {
      const volumes = (podSpecOf(deployment).volumes ?? []) as { name: string; configMap?: { name: string } }[];
      for (const volume of volumes) {
        if (volume.configMap) expect(configMaps).toContain(volume.configMap.name);
      }
      // A StatefulSet's claims are volumes of its pods too.
      const claims = ((tree(deployment.spec, 'spec').volumeClaimTemplates ?? []) as Tree[]).map((claim) => ({
        name: nameOf(claim),
      }));
      volumes.push(...claims);
      for (const container of containersOf(deployment)) {
        const portNames = (container.ports ?? []).map((port) => port.name);
        for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
          if (probe?.httpGet)
            expect(portNames, `${nameOf(deployment)}/${container.name}`).toContain(probe.httpGet.port);
        }
        for (const mount of container.volumeMounts ?? []) {
          expect(volumes.map((volume) => volume.name)).toContain(mount.name);
        }
      }
      expect(tree(tree(deployment.spec, 'spec').selector, 'selector').matchLabels).toEqual(podLabelsOf(deployment));
    }
    for (const service of byKind('Service')) {
      const selector = tree(tree(service.spec, 'spec').selector, `${nameOf(service)} selector`);
      const matches = deployments.filter((deployment) =>
        Object.entries(selector).every(([key, value]) => podLabelsOf(deployment)[key] === value),
      );
      expect(matches, `Service ${nameOf(service)}`).toHaveLength(1);
    }
    const headless = byKind('Service').find((service) => nameOf(service) === 'semtel-gateway-headless');
    expect(tree(headless?.spec, 'spec').clusterIP).toBe('None');
    const lbConfig = tree(yaml.parse(embeddedConfig('otel-lb-config')), 'otel-lb config');
    const otelLb = deployments.find((deployment) => nameOf(deployment) === 'otel-lb');
    const replicasHostname = containersOf(otelLb ?? {}).flatMap((container) => container.env ?? []);
    expect(replicasHostname.find((each) => each.name === 'SEMTEL_REPLICAS_HOSTNAME')?.value).toBe(
      'semtel-gateway-headless.observability.svc.cluster.local',
    );
    expect(JSON.stringify(lbConfig)).toContain('SEMTEL_REPLICAS_HOSTNAME');
    for (const autoscaler of byKind('HorizontalPodAutoscaler')) {
      const target = tree(tree(autoscaler.spec, 'spec').scaleTargetRef, 'scaleTargetRef');
      expect(byKind(String(target.kind)).map(nameOf)).toContain(target.name);
    }
  });
});

describe('the gateway keeps what it acknowledged', () => {
  const gateway = byKind('StatefulSet').find((each) => nameOf(each) === 'semtel-gateway') ?? {};
  const spec = tree(gateway.spec, 'StatefulSet spec');
  const semtel = containersOf(gateway).find((container) => container.name === 'semtel') as ContainerSpec;
  const config = tree(yaml.parse(embeddedConfig('semtel-gateway-config')), 'gateway config');
  const durableQueue = tree(tree(config.processors, 'processors').durable_queue, 'durable_queue');

  it('gives every replica a volume of its own that outlives its pod, with room beyond max_size_mib', () => {
    // An emptyDir goes with the pod: a rollout or a scale-down would delete acknowledged data.
    expect(JSON.stringify(podSpecOf(gateway).volumes ?? [])).not.toContain('emptyDir');
    const claims = (spec.volumeClaimTemplates ?? []) as Tree[];
    expect(claims.map(nameOf)).toEqual(['state']);
    const claim = tree(claims[0]?.spec, 'claim spec');
    expect(claim.accessModes).toEqual(['ReadWriteOnce']);
    const storageMib = mebibytes(tree(tree(claim.resources, 'resources').requests, 'requests').storage);
    // The store's pages, free list and copy-on-write need room beyond the requests' own bytes.
    expect(storageMib).toBeGreaterThanOrEqual(2 * Number(variableOf(semtel, 'SEMTEL_QUEUE_MAX_SIZE_MIB')));
    expect(String(durableQueue.max_size_mib)).toContain('SEMTEL_QUEUE_MAX_SIZE_MIB');

    // The queue's directory is on that claim.
    const mount = semtel.volumeMounts?.find((each) => each.name === 'state');
    expect(mount).toBeDefined();
    expect(String(durableQueue.directory)).toContain('SEMTEL_QUEUE_DIRECTORY');
    expect(variableOf(semtel, 'SEMTEL_QUEUE_DIRECTORY')?.startsWith(`${mount?.mountPath}/`)).toBe(true);

    expect(spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenScaled: 'Retain', whenDeleted: 'Retain' });
    const headless = byKind('Service').find((service) => nameOf(service) === spec.serviceName);
    expect(tree(headless?.spec, 'headless spec').clusterIP).toBe('None');
  });

  it('drains the queue on SIGTERM within shutdown_timeout, within the pod’s grace period', () => {
    const shutdownTimeoutMs = milliseconds(tree(config.service, 'service').shutdown_timeout);
    const shutdownWaitMs = milliseconds(durableQueue.shutdown_wait);
    expect(durableQueue.drain_on_shutdown ?? true).toBe(true);
    // After the drain: the semantic processor's up to 5 s for classifications in flight, then the exporters.
    expect(shutdownWaitMs + 5000).toBeLessThan(shutdownTimeoutMs);
    expect(Number(podSpecOf(gateway).terminationGracePeriodSeconds) * 1000).toBeGreaterThan(shutdownTimeoutMs);
  });

  it('raises max_in_flight for held spans, with the bytes in flight bounded inside the memory limit', () => {
    // The default of 64 per signal caps throughput while GenAI spans are held.
    expect(Number(durableQueue.max_in_flight)).toBeGreaterThan(64);
    const softLimitMib =
      Number(variableOf(semtel, 'SEMTEL_MEMORY_LIMIT_MIB')) -
      Number(variableOf(semtel, 'SEMTEL_MEMORY_SPIKE_LIMIT_MIB'));
    // Requests in flight are decoded: about three times their encoded size.
    expect(3 * Number(durableQueue.max_in_flight_mib)).toBeLessThan(softLimitMib / 2);
  });

  it('every semtel pod stops within its grace period', () => {
    for (const [workload, configMap] of [
      [gateway, 'semtel-gateway-config'],
      [byKind('Deployment').find((each) => nameOf(each) === 'llm-app') ?? {}, 'semtel-sidecar-config'],
    ] as const) {
      const embedded = tree(yaml.parse(embeddedConfig(configMap)), configMap);
      const timeoutMs = milliseconds(tree(embedded.service, 'service').shutdown_timeout);
      expect(Number(podSpecOf(workload).terminationGracePeriodSeconds) * 1000, configMap).toBeGreaterThan(timeoutMs);
    }
  });
});

/** The ```yaml blocks of a Markdown file. */
function yamlBlocks(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

/** Minimal stand-ins for what a snippet names without defining, so the snippet itself is what is checked. */
const stubs: Record<string, Record<string, unknown>> = {
  receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
  exporters: {
    otlp_grpc: { endpoint: '127.0.0.1:4317', tls: { insecure: true }, sending_queue: { enabled: false } },
    otlp_http: { endpoint: 'http://127.0.0.1:4318', sending_queue: { enabled: false } },
    debug: {},
  },
};

/** Completes a README snippet into a whole config: stubs for what it names but does not define. */
function completeSnippet(snippet: Tree): Tree {
  const config: Tree = structuredClone(snippet);
  for (const section of ['receivers', 'processors', 'exporters']) config[section] = { ...(config[section] as Tree) };
  const service = (config.service = { ...(config.service as Tree) });
  if (!isTree(service.pipelines)) {
    service.pipelines = {
      traces: {
        receivers: ['otlp'],
        processors: Object.keys(config.processors as Tree),
        exporters: Object.keys(config.exporters as Tree).length > 0 ? Object.keys(config.exporters as Tree) : ['debug'],
      },
    };
  }
  for (const pipeline of Object.values(tree(service.pipelines, 'pipelines'))) {
    for (const [key, section] of [
      ['receivers', 'receivers'],
      ['processors', 'processors'],
      ['exporters', 'exporters'],
    ] as const) {
      const components = config[section] as Tree;
      for (const id of strings(tree(pipeline, 'pipeline')[key])) {
        if (id in components) continue;
        const type = id.split('/')[0] ?? id;
        components[id] = section === 'processors' ? {} : (stubs[section]?.[type] ?? {});
      }
    }
  }
  return config;
}

describe('README snippets', () => {
  const readmes = [
    'collector-config/README.md',
    'packages/processor-durable-queue/README.md',
    'packages/processor-memory-limiter/README.md',
    'packages/shared-state-redis/README.md',
  ];
  const snippets = readmes.flatMap((file) =>
    yamlBlocks(path.join(root, file)).map((text, index) => ({ name: `${file} #${index + 1}`, text })),
  );

  it('has snippets to check', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(readmes.length);
  });

  // Only the variables a snippet needs are set: one marked optional must not be required.
  it.each(snippets)('$name passes semtel validate', async ({ text }) => {
    // semtel's own substitution first: `{ api_key: ${env:KEY} }` is not YAML until it is done.
    const parsed = parseConfigYaml(text, { ...environment, OPENAI_API_KEY: 'sk-test' });
    expect(parsed.issues.map(formatConfigIssue)).toEqual([]);
    const loaded = await loadConfig(
      { config: JSON.stringify(completeSnippet(tree(parsed.value, 'snippet'))), env: {} },
      builtinFactories(),
    );
    expect(loaded.issues.map(formatConfigIssue)).toEqual([]);
  });
});

describe('Docker', () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = instructions.filter((line) => /^FROM\s/i.test(line));

  it('builds in a build stage and runs from a separate runtime stage', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/^FROM \S+ AS build$/);
    expect(stages[1]).toMatch(/^FROM \S+ AS runtime$/);
    expect(dockerfile).toContain('ARG NODE_IMAGE=node:20-bookworm-slim');
    const runtime = instructions.slice(instructions.indexOf(stages[1] ?? ''));
    expect(runtime.some((line) => line.startsWith('COPY --from=build /out /app'))).toBe(true);
    expect(instructions.some((line) => /pnpm@\$\{PNPM_VERSION\} install .*--frozen-lockfile/.test(line))).toBe(true);
    expect(instructions.some((line) => /deploy --prod/.test(line))).toBe(true);
  });

  it('uses the pnpm of package.json’s packageManager in every step', () => {
    const packageManager = (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { packageManager: string }
    ).packageManager;
    expect(dockerfile).toContain(`ARG PNPM_VERSION=${packageManager.replace(/^pnpm@/, '')}`);
    const pnpmCalls = [...dockerfile.matchAll(/pnpm@(\S+)/g)].map((match) => match[1]);
    expect(pnpmCalls.length).toBeGreaterThanOrEqual(4);
    expect(pnpmCalls.every((version) => version === '${PNPM_VERSION}')).toBe(true);
  });

  it('deploys from the lockfile offline, which a legacy deploy cannot do', () => {
    const deploy = instructions.find((line) => / deploy /.test(line)) ?? '';
    // `--legacy` resolves again and needs registry metadata that fetch never stores: ERR_PNPM_NO_OFFLINE_META.
    expect(deploy).not.toContain('--legacy');
    expect(deploy).toContain('--offline');
    expect(deploy).toContain('--config.inject-workspace-packages=true');
    expect(deploy).toMatch(/-name '\*\.test\.\*' -delete/);
  });

  it('keeps state on a volume at the working directory, where the durable queue lands by default', () => {
    const runtime = instructions.slice(instructions.indexOf(stages[1] ?? ''));
    const workdir = runtime.find((line) => line.startsWith('WORKDIR '))?.split(' ')[1];
    const volume = runtime.find((line) => line.startsWith('VOLUME '));
    // durable_queue.directory defaults to ./data/durable-queue, relative to the working directory.
    expect(volume).toBe(`VOLUME ["${workdir}"]`);
  });

  it('checks health with node, bounded in time', () => {
    const healthcheck = instructions.find((line) => line.startsWith('HEALTHCHECK')) ?? '';
    expect(healthcheck).toMatch(
      /CMD \["node", "-e", .*fetch\(process\.env\.SEMTEL_HEALTH_URL, \{ signal: AbortSignal\.timeout\(\d+\) \}\)/,
    );
  });

  it('scripts/replay-docker-build.mjs understands the Dockerfile (run it in full to replay the build)', () => {
    const result = spawnSync(process.execPath, [path.join(root, 'scripts/replay-docker-build.mjs'), '--dry-run'], {
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as { stages: { name: string; instructions: { keyword: string }[] }[] };
    expect(plan.stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    // Every build-stage instruction is one the replay carries out.
    const replayed = ['ARG', 'ENV', 'WORKDIR', 'COPY', 'RUN'];
    expect(plan.stages[0]?.instructions.filter((each) => !replayed.includes(each.keyword))).toEqual([]);
  });

  it('runs as a non-root user with a health check, the usual ports and the container config', () => {
    const runtime = instructions.slice(instructions.indexOf(stages[1] ?? ''));
    const user = runtime.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    expect(runtime.find((line) => line.startsWith('HEALTHCHECK'))).toMatch(/CMD \["node", "-e", .*fetch\(/);
    expect(
      runtime
        .find((line) => line.startsWith('EXPOSE'))
        ?.split(/\s+/)
        .slice(1),
    ).toEqual(['4317', '4318', '13133', '8888']);
    expect(runtime).toContain('COPY collector-config/semtel-container.yaml /etc/semtel/config.yaml');
    expect(runtime).toContain('ENTRYPOINT ["semtel"]');
    expect(runtime).toContain('CMD ["start", "--config", "/etc/semtel/config.yaml"]');
    expect(runtime.some((line) => /NODE_OPTIONS=--expose-gc/.test(line))).toBe(true);
    // The health check asks the port the baked-in config serves it on.
    const container = tree(readYaml(path.join(configDirectory, 'semtel-container.yaml')), 'container config');
    const health = tree(tree(container.extensions, 'extensions').health_check, 'health_check');
    expect(dockerfile).toContain(`SEMTEL_HEALTH_URL=http://127.0.0.1:${String(health.endpoint).split(':')[1]}/`);
  });

  it('.dockerignore keeps build output out and what the Dockerfile copies in', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist']));
    for (const copied of ['pnpm-lock.yaml', 'pnpm-workspace.yaml', 'collector-config', 'packages']) {
      expect(ignored.some((pattern) => pattern === copied || pattern.startsWith(`${copied}/`))).toBe(false);
      expect(existsSync(path.join(root, copied))).toBe(true);
    }
  });

  it('docker-compose builds semtel from the Dockerfile and shows its traces in Jaeger', () => {
    const compose = tree(readYaml(path.join(configDirectory, 'docker-compose.yaml')), 'compose');
    const services = tree(compose.services, 'services');
    const semtel = tree(services.semtel, 'semtel');
    const build = tree(semtel.build, 'build');
    expect(existsSync(path.join(configDirectory, String(build.context), String(build.dockerfile)))).toBe(true);
    expect(path.resolve(configDirectory, String(build.context))).toBe(path.resolve(root));

    const jaeger = tree(services.jaeger, 'jaeger');
    expect(String(jaeger.image)).toMatch(/^jaegertracing\/all-in-one:/);
    expect(tree(jaeger.environment, 'jaeger environment').COLLECTOR_OTLP_ENABLED).toBe('true');
    // semtel's baked-in config exports to JAEGER_ENDPOINT, which must name the compose service.
    expect(tree(semtel.environment, 'semtel environment').JAEGER_ENDPOINT).toBe('jaeger:4317');

    const otelLb = tree(services['otel-lb'], 'otel-lb');
    for (const volume of strings(otelLb.volumes)) {
      const source = volume.split(':')[0] ?? '';
      expect(existsSync(path.join(configDirectory, source)), volume).toBe(true);
    }
    expect(tree(otelLb.environment, 'otel-lb environment').SEMTEL_REPLICAS_HOSTNAME).toBe('semtel');
    for (const service of Object.values(services)) {
      for (const port of strings(tree(service, 'service').ports)) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
  });
});
