// Offline validation of rendered Kubernetes manifests (used by scripts/validate-manifests.sh).
// Usage: node validate-k8s.js RENDERED.yaml [...]   (NODE_PATH must hold kubernetes-models@4.5.1,
// @kubernetes-models/prometheus-operator@4 and yaml@2)
// Every document is checked against its OpenAPI schema (required fields, types, enums; unknown
// fields are not caught), and a few hrnn-specific consistency rules are checked across documents.
// Prints one line per problem and exits 1 if there is any.
'use strict';
const fs = require('fs');
const YAML = require('yaml');

const problems = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);

function modelClass(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const candidates = [];
  if (group === 'monitoring.coreos.com') {
    candidates.push(`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`);
  } else if (group === '') {
    candidates.push(`kubernetes-models/${version}/${kind}`);
  } else {
    candidates.push(`kubernetes-models/${group}/${version}/${kind}`);
  }
  for (const path of candidates) {
    try {
      return require(path)[kind];
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND' && e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
    }
  }
  return undefined;
}

const docs = [];
for (const file of process.argv.slice(2)) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    if (doc.errors.length) {
      doc.errors.forEach((e) => problem(file, `YAML: ${e.message}`));
      continue;
    }
    const obj = doc.toJSON();
    if (obj === null || obj === undefined) continue;
    const where = `${file}: ${obj.kind}/${obj.metadata && obj.metadata.name}`;
    docs.push({ obj, where });
    if (!obj.apiVersion || !obj.kind) {
      problem(where, 'missing apiVersion or kind');
      continue;
    }
    const Model = modelClass(obj.apiVersion, obj.kind);
    if (!Model) {
      problem(where, `no schema for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      problem(where, `schema: ${e.message.replace(/\s+/g, ' ')}`);
    }
  }
}

// hrnn-specific rules across the rendered documents.
const find = (kind, pred = () => true) => docs.filter((d) => d.obj.kind === kind && pred(d.obj));
const seconds = (text) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(text).trim());
  if (!m) return NaN;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
};
for (const { obj: sts, where } of find('StatefulSet')) {
  const pod = sts.spec.template.spec;
  const server = pod.containers.find((c) => c.name === 'hrnn-server');
  if (!server) continue;
  // The drain deadline from the ConfigMap(s) the container reads (default 10s).
  let drain = 10;
  for (const ref of server.envFrom || []) {
    if (!ref.configMapRef) continue;
    const cms = find('ConfigMap', (o) => o.metadata.name === ref.configMapRef.name);
    if (cms.length === 0) problem(where, `envFrom names a missing ConfigMap ${ref.configMapRef.name}`);
    for (const { obj: cm } of cms) {
      if (cm.data && cm.data.HRNN_DRAIN_DEADLINE) drain = seconds(cm.data.HRNN_DRAIN_DEADLINE);
    }
  }
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (!(grace > drain + 2)) {
    problem(where, `terminationGracePeriodSeconds ${grace} is not above drain deadline ${drain} s + 2 s`);
  }
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    if (!server[probe] || !server[probe].grpc) problem(where, `${probe} is not a gRPC probe`);
  }
  if (!sts.spec.volumeClaimTemplates || sts.spec.volumeClaimTemplates.length === 0) {
    problem(where, 'no volumeClaimTemplates (each replica owns a /state volume)');
  }
  if (!find('Service', (o) => o.metadata.name === sts.spec.serviceName && o.spec.clusterIP === 'None').length) {
    problem(where, `serviceName ${sts.spec.serviceName} is not a headless Service in the output`);
  }
  // The Envoy ring must list every ordinal the HPA can create, in this namespace.
  const hpa = (find('HorizontalPodAutoscaler', (o) => o.spec.scaleTargetRef.name === sts.metadata.name)[0] || {}).obj;
  for (const { obj: cm } of find('ConfigMap', (o) => o.data && o.data['envoy.yaml'])) {
    const envoy = YAML.parse(cm.data['envoy.yaml']);
    const cluster = envoy.static_resources.clusters.find((c) => c.name === 'hrnn');
    const addresses = cluster.load_assignment.endpoints.flatMap((e) => e.lb_endpoints)
      .map((e) => e.endpoint.address.socket_address.address);
    const ns = sts.metadata.namespace || 'default';
    const max = hpa ? hpa.spec.maxReplicas : sts.spec.replicas;
    for (let i = 0; i < max; i++) {
      const name = `${sts.metadata.name}-${i}.${sts.spec.serviceName}.${ns}.svc.cluster.local`;
      if (!addresses.includes(name)) problem(where, `Envoy config lacks the endpoint ${name}`);
    }
    if (!['RING_HASH', 'MAGLEV'].includes(cluster.lb_policy)) {
      problem(where, `Envoy cluster lb_policy ${cluster.lb_policy} is not a consistent hash`);
    }
  }
}

if (problems.length) {
  problems.forEach((p) => console.error(p));
  console.error(`validate-k8s: ${problems.length} problem(s) in ${docs.length} document(s)`);
  process.exit(1);
}
console.log(`validate-k8s: ${docs.length} document(s) valid`);
