// Offline checks of the Kubernetes manifests and the container image's Dockerfile, run by
// deploy/check-k8s.sh (which renders each overlay with `kubectl kustomize` first):
//
//   node deploy/check-k8s.mjs ROOT OVERLAY=RENDERED.yaml... [--binary=PATH/TO/jiban]
//
// 1. every object validates against the Kubernetes (and Prometheus Operator) schemas;
// 2. the conventions hold: probes, resources, the restricted security context, a Service, HPA and
//    PDB per Deployment, a migration Job per database, every Secret/ConfigMap/file reference
//    resolved, and network policies that allow exactly the call graph the services' addresses
//    describe (deny by default; only the gateway reachable from outside; Prometheus on metrics);
// 3. k8s/base/config/ stays byte-identical to the defaults shipped in services/*/defaults;
// 4. deploy/Dockerfile lints clean (dockerfile-utils) and its package lists match
//    deploy/install-deps.sh and, given --binary, the libraries the binary links.
// Self-checks first prove the validators reject bad input. Prints each failure; exits 1 on any.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [root, ...rest] = process.argv.slice(2);
const binary = rest.find((a) => a.startsWith("--binary="))?.slice("--binary=".length);
const overlays = rest.filter((a) => !a.startsWith("--")).map((a) => a.split("="));
const tools = join(root, "tools", "node_modules");
const load = (pkg, file) => import(pathToFileURL(join(tools, pkg, file)).href);
const YAML = createRequire(join(tools, "yaml", "package.json"))("yaml");
const dockerfileUtils = createRequire(join(tools, "dockerfile-utils", "package.json"))("dockerfile-utils");

// What each overlay promises beyond the common conventions.
const EXPECT = {
  dev: { minReplicas: 1, inClusterDb: "mariadb" },
  prod: { minReplicas: 2, monitoring: true, pinnedImage: true, secrets: "secrets.example.yaml" },
};
const PUBLIC = "gateway"; // the only component reachable from outside the namespace
// Services that must run as one replica in every overlay: routing's directory, dispatch list and
// classifier and bundle's catalogue live in each process's memory, and every assessment replica
// would score every unit for the gauges (docs/scaling.md).
const SINGLE = new Set(["routing", "bundle", "assessment"]);
const IMAGE = "jiban"; // base's image name, rewritten by the overlays' `images:`
const BASE_PACKAGES = ["libc6", "libgcc-s1", "libstdc++6", "zlib1g"]; // in debian:12-slim already

const failures = [];
const fail = (where, msg) => failures.push(`${where}: ${msg}`);

// ---- schemas -------------------------------------------------------------------------------
async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const [pkg, dir] = group === "monitoring.coreos.com"
    ? ["@kubernetes-models/prometheus-operator", `${group}/${version}`]
    : ["kubernetes-models", group ? `${group}/${version}` : version];
  const file = join(tools, pkg, dir, `${kind}.js`);
  return existsSync(file) ? (await load(pkg, `${dir}/${kind}.js`))[kind] : null;
}

async function schemaErrors(obj) {
  const Model = await modelFor(obj.apiVersion ?? "", obj.kind ?? "");
  if (!Model) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    // kustomize wraps long base64 values in lines, which the API server's decoder skips.
    const unwrap = (data) =>
      data && Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v).replace(/\s/g, "")]));
    new Model({ ...obj, data: unwrap(obj.data), binaryData: unwrap(obj.binaryData) }).validate();
    return [];
  } catch (e) {
    return [e.message];
  }
}

// ---- helpers -------------------------------------------------------------------------------
const id = (o) => `${o.kind}/${o.metadata?.name}`;
const byKind = (objs, kind) => objs.filter((o) => o.kind === kind);
const named = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata?.name === name);
const env = (c, name) => c.env?.find((e) => e.name === name);

function selects(sel, labels = {}) {
  if (!sel) return false;
  const ok = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return ok && (sel.matchExpressions ?? []).every(({ key, operator, values = [] }) =>
    ({ In: values.includes(labels[key]), NotIn: !values.includes(labels[key]),
       Exists: key in labels, DoesNotExist: !(key in labels) })[operator]);
}

// Every pod template: Deployments, StatefulSets and Jobs.
function podsOf(objs) {
  return objs.filter((o) => ["Deployment", "StatefulSet", "Job"].includes(o.kind)).map((o) => ({
    owner: o,
    name: o.metadata.name,
    ns: o.metadata.namespace,
    labels: o.spec.template.metadata?.labels ?? {},
    spec: o.spec.template.spec,
    ports: o.spec.template.spec.containers.flatMap((c) => c.ports ?? []),
  }));
}

// A container of the Jiban image: `jiban`, `jiban:TAG`, `REGISTRY/.../jiban[:TAG][@DIGEST]`.
const isJiban = (c) => {
  const repository = c.image.split("@")[0].replace(/:[\w.-]+$/, "");
  return repository === IMAGE || repository.endsWith(`/${IMAGE}`);
};

// ---- conventions on pods -------------------------------------------------------------------
function checkPodSecurity(where, pod) {
  const sc = pod.spec.securityContext ?? {};
  if (sc.runAsNonRoot !== true) fail(where, "pod securityContext.runAsNonRoot must be true");
  if (!(sc.runAsUser > 0)) fail(where, "pod securityContext.runAsUser must be a non-root uid");
  if (sc.seccompProfile?.type !== "RuntimeDefault") fail(where, "pod seccompProfile must be RuntimeDefault");
  if (pod.spec.automountServiceAccountToken !== false) fail(where, "automountServiceAccountToken must be false");
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    const w = `${where} container ${c.name}`;
    const csc = c.securityContext ?? {};
    if (csc.allowPrivilegeEscalation !== false) fail(w, "allowPrivilegeEscalation must be false");
    if (csc.readOnlyRootFilesystem !== true) fail(w, "readOnlyRootFilesystem must be true");
    if (!csc.capabilities?.drop?.includes("ALL")) fail(w, "capabilities must drop ALL");
    if (csc.privileged) fail(w, "must not be privileged");
    for (const k of ["requests", "limits"]) {
      for (const r of ["cpu", "memory"]) if (!c.resources?.[k]?.[r]) fail(w, `resources.${k}.${r} missing`);
    }
    if (isJiban(c) && sc.runAsUser !== 10001) fail(w, "the jiban image runs as uid 10001");
  }
}

function checkDeployment(overlay, dep, objs, expect) {
  const where = `${overlay} ${id(dep)}`;
  const pod = podsOf([dep])[0];
  for (const c of pod.spec.containers) {
    const w = `${where} container ${c.name}`;
    if (!c.livenessProbe) fail(w, "no livenessProbe");
    if (!c.readinessProbe) fail(w, "no readinessProbe");
    if (!isJiban(c)) continue;
    const grpc = c.ports?.find((p) => p.name === "grpc")?.containerPort;
    for (const [probe, service] of [["livenessProbe", "liveness"], ["readinessProbe", "readiness"]]) {
      const g = c[probe]?.grpc;
      if (g && (g.port !== grpc || g.service !== service)) {
        fail(w, `${probe} must be grpc {port: ${grpc}, service: ${service}}`);
      } else if (!g) fail(w, `${probe} must be a native grpc probe`);
    }
    if (!c.ports?.some((p) => p.name === "metrics")) fail(w, "no port named metrics");
    const drain = Number(env(c, "JIBAN_DRAIN_SECONDS")?.value ?? 20);
    const preStop = c.lifecycle?.preStop;
    const sleep = Number(preStop?.exec?.command?.[1] ?? preStop?.sleep?.seconds ?? 0);
    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    if (!(grace > drain + sleep)) {
      fail(w, `terminationGracePeriodSeconds ${grace} must exceed preStop ${sleep} s + drain ${drain} s`);
    }
    if (env(c, "JIBAN_DB_DSN")) {
      if (env(c, "JIBAN_DB_MIGRATE")?.value !== "check") {
        fail(w, "JIBAN_DB_MIGRATE must be check (the Job migrates)");
      }
      const service = c.args?.[0];
      const secret = env(c, "JIBAN_DB_DSN").valueFrom?.secretKeyRef?.name;
      const job = byKind(objs, "Job").find((j) => {
        const jc = j.spec.template.spec.containers[0];
        return jc.args?.join(" ") === `${service} migrate` &&
          env(jc, "JIBAN_DB_DSN")?.valueFrom?.secretKeyRef?.name === secret;
      });
      if (!job) fail(where, `no Job running \`jiban ${service} migrate\` against Secret ${secret}`);
    }
  }
  const svc = byKind(objs, "Service")
    .find((s) => s.spec.selector && selects({ matchLabels: s.spec.selector }, pod.labels));
  if (!svc) fail(where, "no Service selects its pods");
  for (const p of svc?.spec.ports ?? []) {
    if (typeof p.targetPort === "string" && !pod.ports.some((cp) => cp.name === p.targetPort)) {
      fail(`${overlay} ${id(svc)}`, `targetPort ${p.targetPort} is no container port of ${where}`);
    }
  }
  const hpa = byKind(objs, "HorizontalPodAutoscaler").find((h) =>
    h.spec.scaleTargetRef.kind === "Deployment" && h.spec.scaleTargetRef.name === dep.metadata.name);
  if (!hpa) fail(where, "no HorizontalPodAutoscaler");
  else if (SINGLE.has(dep.metadata.name)) {
    if (hpa.spec.maxReplicas !== 1) fail(`${overlay} ${id(hpa)}`, `maxReplicas ${hpa.spec.maxReplicas}; this service runs as one replica`);
  } else if (!(hpa.spec.minReplicas >= (expect.minReplicas ?? 1))) {
    const want = expect.minReplicas ?? 1;
    fail(`${overlay} ${id(hpa)}`, `minReplicas ${hpa.spec.minReplicas}; this overlay wants ${want} or more`);
  }
  if (dep.spec.replicas !== undefined && hpa) fail(where, "spec.replicas fights the HPA: leave it out");
  if (!byKind(objs, "PodDisruptionBudget").some((b) => selects(b.spec.selector, pod.labels))) {
    fail(where, "no PodDisruptionBudget");
  }
}

// Secret/ConfigMap references resolve, and every *_FILE(S) path is a key of a mounted volume.
function checkReferences(where, pod, objs) {
  const has = (kind, name, key) => {
    const o = named(objs, kind, name);
    if (!o) return fail(where, `${kind} ${name} does not exist`), false;
    const keys = Object.keys({ ...o.data, ...o.stringData, ...o.binaryData });
    if (key !== undefined && !keys.includes(key)) return fail(where, `${kind} ${name} has no key ${key}`), false;
    return keys;
  };
  const files = new Map(); // mounted path -> present
  for (const v of pod.spec.volumes ?? []) {
    const secret = v.secret && { ...v.secret, name: v.secret.secretName };
    const sources = v.projected?.sources ?? [{ secret, configMap: v.configMap }];
    for (const s of sources) {
      for (const [kind, ref] of [["Secret", s.secret], ["ConfigMap", s.configMap]]) {
        if (!ref) continue;
        const keys = has(kind, ref.name);
        const items = ref.items ?? (keys || []).map((k) => ({ key: k, path: k }));
        for (const it of items) {
          if (keys && has(kind, ref.name, it.key)) files.set(`${v.name}/${it.path}`, true);
        }
      }
    }
  }
  for (const c of pod.spec.containers) {
    for (const e of c.env ?? []) {
      const r = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      if (r) has(e.valueFrom.secretKeyRef ? "Secret" : "ConfigMap", r.name, r.key);
      if (!/_FILES?$/.test(e.name) || !e.value) continue;
      for (const path of e.value.split(",")) {
        const m = (c.volumeMounts ?? []).find((vm) => path.startsWith(`${vm.mountPath}/`));
        if (!m || !files.has(`${m.name}/${path.slice(m.mountPath.length + 1)}`)) {
          fail(`${where} container ${c.name}`, `${e.name}: ${path} is no file of a mounted Secret/ConfigMap`);
        }
      }
    }
  }
}

// ---- network policies ----------------------------------------------------------------------
// Endpoints: in-namespace pods, plus the world outside (`external`), Prometheus and the DNS.
const OUTSIDE = { name: "outside the cluster", external: true, labels: {}, ports: [] };
const PROMETHEUS = { name: "prometheus", ns: "monitoring", labels: {}, ports: [],
  nsLabels: { "kubernetes.io/metadata.name": "monitoring" } };
const DNS = { name: "kube-dns", ns: "kube-system", labels: { "k8s-app": "kube-dns" },
  nsLabels: { "kubernetes.io/metadata.name": "kube-system" }, ports: [{ containerPort: 53, protocol: "UDP" }] };
const MYSQL = { name: "external MySQL", external: true, labels: {}, ports: [{ containerPort: 3306 }] };
const INTERNET = { name: "the internet", external: true, labels: {}, ports: [{ containerPort: 443 }] };

function peerMatches(peer, policyNs, end) {
  if (peer.ipBlock) return !!end.external;
  if (end.external) return false;
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, end.nsLabels) : end.ns === policyNs;
  return nsOk && (!peer.podSelector || selects(peer.podSelector, end.labels));
}

function portMatches(rulePorts, port) {
  if (!rulePorts?.length) return true;
  return rulePorts.some((p) => {
    if ((p.protocol ?? "TCP") !== (port.protocol ?? "TCP")) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") return p.port === port.name; // a named container port
    return port.containerPort >= p.port && port.containerPort <= (p.endPort ?? p.port);
  });
}

// Whether `self`'s policies let traffic go out to (dir "egress") or come in from ("ingress")
// `other`: a pod no policy of that direction selects is open; else some rule must match.
function sideAllows(policies, self, other, port, dir) {
  if (self.external || self.ns !== policies.ns) return true; // not ours to police
  const type = dir === "egress" ? "Egress" : "Ingress";
  const mine = policies.list.filter((p) => selects(p.spec.podSelector, self.labels) &&
    (p.spec.policyTypes ?? ["Ingress", ...(p.spec.egress ? ["Egress"] : [])]).includes(type));
  if (!mine.length) return true;
  return mine.some((p) => (p.spec[dir] ?? []).some((rule) => {
    const peers = rule[dir === "egress" ? "to" : "from"];
    const peerOk = !peers?.length || peers.some((peer) => peerMatches(peer, p.metadata.namespace, other));
    return peerOk && portMatches(rule.ports, port);
  }));
}

const allows = (policies, src, dst, port) =>
  sideAllows(policies, src, dst, port, "egress") && sideAllows(policies, dst, src, port, "ingress");

function checkNetwork(where, objs, expect) {
  const ns = byKind(objs, "Namespace")[0]?.metadata.name ?? objs[0].metadata.namespace;
  const nsLabels = { ...byKind(objs, "Namespace")[0]?.metadata.labels, "kubernetes.io/metadata.name": ns };
  const policies = { ns, list: byKind(objs, "NetworkPolicy") };
  const denyAll = (p) => Object.keys(p.spec.podSelector ?? {}).length === 0 && !p.spec.ingress && !p.spec.egress &&
    ["Ingress", "Egress"].every((t) => p.spec.policyTypes?.includes(t));
  if (!policies.list.some(denyAll)) {
    fail(where, "no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)");
  }
  const pods = podsOf(objs).map((p) => ({ ...p, nsLabels }));
  // The expected graph: each JIBAN_*_ADDR names a Service; the world reaches the gateway's gRPC
  // and HTTP ports; Prometheus every metrics port; database clients their MySQL.
  const expected = new Set();
  const edge = (src, dst, port) => expected.add(`${src.name} -> ${dst.name}:${port.containerPort}`);
  for (const src of pods) {
    for (const c of src.spec.containers) {
      for (const e of c.env ?? []) {
        const m = /^JIBAN_[A-Z]+_ADDR$/.test(e.name) && /^([a-z0-9-]+):(\d+)$/.exec(e.value ?? "");
        if (!m) continue;
        const svc = named(objs, "Service", m[1]);
        const sp = svc?.spec.ports.find((p) => p.port === Number(m[2]));
        if (!sp) { fail(where, `${src.name} ${e.name}=${e.value}: no such Service port`); continue; }
        for (const dst of pods.filter((d) => selects({ matchLabels: svc.spec.selector }, d.labels))) {
          const port = dst.ports.find((p) => p.name === sp.targetPort || p.containerPort === sp.targetPort);
          if (port) edge(src, dst, port);
        }
      }
      if (env(c, "JIBAN_DB_DSN")) {
        const db = expect.inClusterDb ? pods.find((p) => p.name === expect.inClusterDb) : MYSQL;
        if (!db) fail(where, `no in-cluster database ${expect.inClusterDb}`);
        else edge(src, db, db.ports.find((p) => p.containerPort === 3306));
      }
    }
  }
  for (const dst of pods) {
    for (const port of dst.ports) {
      const isPublic = dst.labels["app.kubernetes.io/name"] === PUBLIC && ["grpc", "http"].includes(port.name);
      if (isPublic || port.name === "metrics") edge(PROMETHEUS, dst, port); // Prometheus is outside too
      if (isPublic) edge(OUTSIDE, dst, port);
    }
  }
  const targets = [...pods, MYSQL, INTERNET];
  for (const src of [...pods, OUTSIDE, PROMETHEUS]) {
    for (const dst of targets) {
      for (const port of dst.ports) {
        if (src === dst || (src.ns !== ns && dst.ns !== ns)) continue; // neither end is ours
        const key = `${src.name} -> ${dst.name}:${port.containerPort}`;
        const ok = allows(policies, src, dst, port);
        if (ok && !expected.has(key)) fail(where, `NetworkPolicies allow ${key}, which nothing needs`);
        if (!ok && expected.has(key)) fail(where, `NetworkPolicies refuse ${key}, which is needed`);
      }
    }
    if (src.ns === ns && !allows(policies, src, DNS, DNS.ports[0])) {
      fail(where, `${src.name} cannot resolve names (DNS)`);
    }
  }
}

// ---- per overlay ---------------------------------------------------------------------------
function checkOverlay(name, objs, external) {
  const expect = EXPECT[name] ?? {};
  const all = [...objs, ...external];
  for (const pod of podsOf(objs)) {
    const where = `${name} ${pod.owner.kind}/${pod.name}`;
    checkPodSecurity(where, pod);
    checkReferences(where, pod, all);
  }
  for (const dep of byKind(objs, "Deployment")) checkDeployment(name, dep, objs, expect);
  checkNetwork(name, objs, expect);
  if (expect.monitoring) {
    const scrapes = (sm, svc) => selects(sm.spec.selector, svc.metadata.labels) &&
      sm.spec.endpoints.some((e) => e.port === "metrics");
    for (const svc of byKind(objs, "Service").filter((s) => s.spec.ports.some((p) => p.name === "metrics"))) {
      if (!byKind(objs, "ServiceMonitor").some((sm) => scrapes(sm, svc))) {
        fail(`${name} ${id(svc)}`, "no ServiceMonitor scrapes its metrics port");
      }
    }
  }
  const images = new Set(podsOf(objs).flatMap((p) => p.spec.containers.filter(isJiban).map((c) => c.image)));
  if (images.size !== 1) fail(name, `the services must share one image, not ${[...images].join(", ") || "none"}`);
  const pinned = (image) =>
    /@sha256:[0-9a-f]{64}$/.test(image) || /:(?!latest$|dev$)[\w.-]+$/.test(image.split("/").pop());
  for (const image of images) {
    if (expect.pinnedImage && !pinned(image)) {
      fail(name, `image ${image} is not pinned to a release tag or digest`);
    }
  }
  for (const s of external) {
    for (const [k, v] of Object.entries({ ...s.stringData, ...s.data })) {
      if (v !== "") fail(`${name} ${expect.secrets}`, `${s.metadata.name}.${k} must stay empty in git`);
    }
  }
  if (expect.inClusterDb) checkDevDatabase(name, objs);
}

// In dev, every DSN's user, password and database exist in the MariaDB init script.
function checkDevDatabase(name, objs) {
  const secrets = byKind(objs, "Secret");
  const decode = (v) => Buffer.from(v, "base64").toString();
  const init = secrets.map((s) => s.data?.["init.sql"]).find(Boolean);
  if (!init) return fail(name, "no Secret carries the database's init.sql");
  const sql = decode(init);
  for (const s of secrets) {
    for (const [k, v] of Object.entries(s.data ?? {})) {
      const m = /^mysql:\/\/([^:@]+):([^@]*)@[^/]+\/(\w+)$/.exec(decode(v));
      if (!/dsn$/.test(k) || !m) continue;
      const [, user, password, db] = m;
      const user_ = `'${user}'@'%'`;
      if (!sql.includes(`${user_} IDENTIFIED BY '${password}'`) || !sql.includes(`ON ${db}.* TO ${user_}`)) {
        fail(`${name} Secret/${s.metadata.name}`, `${k}: ${user}@${db} or its password is not in init.sql`);
      }
    }
  }
}

// ---- configuration copies ------------------------------------------------------------------
function checkConfigCopies(rendered) {
  const copies = join(root, "k8s", "base", "config");
  const shipped = new Map(); // file name -> its path in the repository
  for (const s of ["routing", "assessment", "bundle", "gateway"]) {
    const dir = `services/${s}/defaults`;
    for (const f of readdirSync(join(root, dir))) shipped.set(f, `${dir}/${f}`);
  }
  for (const [f, original] of shipped) {
    const copy = join(copies, f);
    if (!existsSync(copy)) fail("k8s/base/config", `no copy of ${original}: cp ${original} k8s/base/config/`);
    else if (!readFileSync(copy).equals(readFileSync(join(root, original)))) {
      fail("k8s/base/config", `${f} differs from ${original}: cp ${original} k8s/base/config/`);
    }
  }
  for (const f of readdirSync(copies)) if (!shipped.has(f)) fail("k8s/base/config", `${f} is no shipped default`);
  // Every calendar year in routing's ConfigMap is one JIBAN_CALENDAR_FILES names.
  for (const [name, objs] of rendered) {
    const dep = named(objs, "Deployment", "routing");
    const cm = byKind(objs, "ConfigMap").find((c) => c.metadata.name.startsWith("routing-config"));
    const listed = env(dep?.spec.template.spec.containers[0] ?? {}, "JIBAN_CALENDAR_FILES")?.value ?? "";
    for (const year of Object.keys(cm?.data ?? {}).filter((k) => k.startsWith("calendar-"))) {
      if (!listed.split(",").some((p) => p.endsWith(`/${year}`))) {
        fail(`${name} Deployment/routing`, `JIBAN_CALENDAR_FILES does not list ${year}`);
      }
    }
  }
}

// ---- Dockerfile ----------------------------------------------------------------------------
function aptPackages(runText) {
  const m = /apt-get install ([^&]*)/.exec(runText);
  return m ? m[1].split(/\s+/).filter((t) => t && !t.startsWith("-")) : [];
}

function checkDockerfile() {
  const where = "deploy/Dockerfile";
  const text = readFileSync(join(root, "deploy", "Dockerfile"), "utf8");
  for (const d of dockerfileUtils.validate(text)) fail(where, `line ${d.range.start.line + 1}: ${d.message}`);
  const lines = text.replace(/\\\n/g, " ").split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  const stages = [];
  for (const l of lines) {
    const [instr, ...args] = l.trim().split(/\s+/);
    if (instr.toUpperCase() === "FROM") stages.push({ from: args[0], runs: [], user: null, entrypoint: null });
    else if (instr.toUpperCase() === "RUN") stages.at(-1)?.runs.push(args.join(" "));
    else if (instr.toUpperCase() === "USER") stages.at(-1).user = args.join(" ");
    else if (instr.toUpperCase() === "ENTRYPOINT") stages.at(-1).entrypoint = args.join(" ");
  }
  if (stages.length < 2) return fail(where, "expected a build stage and a runtime stage");
  for (const s of stages) if (s.from !== "debian:12-slim") fail(where, `FROM ${s.from}: stages are debian:12-slim`);
  const [build, run] = [stages[0], stages.at(-1)];
  if (!/^10001(:10001)?$/.test(run.user ?? "")) fail(where, "the runtime stage must end as USER 10001 (numeric)");
  if (run.entrypoint !== '["jiban"]') fail(where, 'ENTRYPOINT must be ["jiban"]');
  const script = readFileSync(join(root, "deploy", "install-deps.sh"), "utf8");
  const deps = /packages=\(([^)]*)\)/.exec(script)?.[1].split(/\s+/).filter(Boolean) ?? [];
  for (const p of build.runs.flatMap(aptPackages)) {
    if (!deps.includes(p)) fail(where, `build package ${p} is not in deploy/install-deps.sh`);
  }
  if (binary) {
    const runtime = new Set([...run.runs.flatMap(aptPackages), ...BASE_PACKAGES]);
    const libs = execFileSync("ldd", [binary], { encoding: "utf8" })
      .split("\n").map((l) => /=> (\/\S+)/.exec(l)?.[1]).filter(Boolean);
    // dpkg knows one spelling of each path: through alternatives' symlinks or not, /usr or not.
    const spellings = (lib) => [lib, realpathSync(lib)]
      .flatMap((p) => [p, p.replace(/^\/usr\/lib\//, "/lib/"), p.replace(/^\/lib\//, "/usr/lib/")]);
    let out;
    try {
      const quiet = { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] };
      out = execFileSync("dpkg", ["-S", ...libs.flatMap(spellings)], quiet);
    } catch (e) {
      out = e.stdout; // exit 1: some spellings are unknown, as expected
    }
    const owners = new Map(out.split("\n").filter(Boolean)
      .map((l) => [l.slice(l.lastIndexOf(": ") + 2), l.split(":")[0]]));
    for (const lib of libs) {
      const owner = spellings(lib).map((p) => owners.get(p)).find(Boolean);
      if (!owner) fail(where, `${lib} belongs to no Debian package`);
      else if (!runtime.has(owner)) fail(where, `the binary links ${lib} from ${owner}: not in the runtime stage`);
    }
  }
}

// ---- self-checks: the validators must reject what is wrong ----------------------------------
async function selfCheck(sample) {
  const bad = structuredClone(sample);
  bad.spec.replicas = "two";
  if (!(await schemaErrors(bad)).length) fail("self-check", 'a Deployment with replicas "two" passed the schema');
  const before = failures.length;
  const probeless = structuredClone(sample);
  delete probeless.spec.template.spec.containers[0].readinessProbe;
  delete probeless.spec.template.spec.containers[0].securityContext;
  checkDeployment("self-check", probeless, [probeless], {});
  checkPodSecurity("self-check", podsOf([probeless])[0]);
  const caught = failures.splice(before);
  for (const want of ["no readinessProbe", "readOnlyRootFilesystem", "no HorizontalPodAutoscaler", "no Service"]) {
    if (!caught.some((f) => f.includes(want))) fail("self-check", `a broken Deployment was not reported: ${want}`);
  }
}

// ---- main ----------------------------------------------------------------------------------
const rendered = [];
for (const [name, file] of overlays) {
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"));
  const objs = [];
  for (const d of docs) {
    if (d.errors.length) fail(name, `YAML: ${d.errors[0].message}`);
    else if (d.contents) objs.push(d.toJS());
  }
  rendered.push([name, objs]);
}
if (!rendered.length) fail("check-k8s", "no overlay given");
const sample = rendered.flatMap(([, objs]) => byKind(objs, "Deployment"))[0];
if (sample) await selfCheck(sample);
else fail("check-k8s", "no Deployment in any overlay");

let count = 0;
for (const [name, objs] of rendered) {
  const secretsFile = EXPECT[name]?.secrets && join(root, "k8s", "overlays", name, EXPECT[name].secrets);
  // Objects the overlay expects to exist without applying them (prod's Secrets).
  const external = secretsFile
    ? YAML.parseAllDocuments(readFileSync(secretsFile, "utf8")).map((d) => d.toJS()).filter(Boolean) : [];
  for (const o of [...objs, ...external]) {
    for (const e of await schemaErrors(o)) fail(`${name} ${id(o)}`, e);
    count++;
  }
  checkOverlay(name, objs, external);
}
checkConfigCopies(rendered);
checkDockerfile();

for (const f of failures) console.log(`check-k8s: FAIL ${f}`);
const what = `${rendered.map(([n]) => n).join(", ")}: ${count} objects; Dockerfile` +
  (binary ? " and the binary's libraries" : "");
console.log(failures.length ? `check-k8s: ${failures.length} failures` : `check-k8s: ok (${what})`);
process.exit(failures.length ? 1 : 0);
