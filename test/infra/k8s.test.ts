// infra/k8s: the manifests parse, and they agree with the gpu-worker (env names and values its
// config accepts, port, health endpoint and its JSON fields) and with each other (names, selectors).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DRAIN_MARGIN_MS } from "@guidegate/gpu-worker";
import { WorkerMetrics } from "../../gpu-worker/src/metrics.ts";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { byKind, type Doc, K8S_DIR, loadManifests, one, WORKER_DEFAULTS, workerReads } from "./manifests.ts";

const files = loadManifests();
const deployment = one(files, "Deployment", "gpu-worker");
const pod = deployment.spec.template.spec;
const container: Doc = pod.containers.find((c: Doc) => c.name === "gpu-worker");
const configMap = one(files, "ConfigMap");
const secret = one(files, "Secret");
const service = one(files, "Service", "gpu-worker");
const port = WORKER_DEFAULTS.GG_WORKER_PORT;
const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
const containerPort = (name: string | number) =>
  typeof name === "number" ? name : container.ports.find((p: Doc) => p.name === name)?.containerPort;

describe("infra/k8s manifests", () => {
  it("parse, and each document names its kind and lives in the guidegate namespace", () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const { file, docs } of files) {
      expect(docs.length, file).toBeGreaterThan(0);
      for (const d of docs) {
        expect(d.apiVersion, file).toBeTruthy();
        expect(d.kind, file).toBeTruthy();
        expect(d.metadata?.name, file).toBeTruthy();
        if (d.kind !== "Namespace") expect(d.metadata.namespace, `${file} ${d.kind}`).toBe("guidegate");
      }
    }
  });

  it("kustomization lists every manifest but the example Secret", () => {
    const k = parse(readFileSync(join(K8S_DIR, "kustomization.yaml"), "utf8")) as { resources: string[] };
    for (const r of k.resources) expect(existsSync(join(K8S_DIR, r)), r).toBe(true);
    expect(k.resources).not.toContain("secret.example.yaml");
    expect([...k.resources].sort()).toEqual(files.map((f) => f.file).filter((f) => f !== "secret.example.yaml"));
  });

  it("every env name is one the worker reads, and together the values pass its config schema", () => {
    const env: Record<string, string> = { ...configMap.data };
    for (const e of container.env as Doc[]) {
      if (e.value !== undefined) env[e.name] = String(e.value);
      else if (e.valueFrom?.secretKeyRef) env[e.name] = secret.stringData[e.valueFrom.secretKeyRef.key];
      else if (e.valueFrom?.fieldRef) env[e.name] = "gpu-worker-abc12";
      else throw new Error(`env ${e.name} has no value`);
    }
    const read = workerReads(env);
    expect(Object.keys(env).filter((k) => !read.has(k))).toEqual([]);
    expect(env.GG_PROVIDER).toBe("cuda");
    expect(env.GG_WORKER_HOST).toBe("0.0.0.0"); // the default 127.0.0.1 is unreachable from a Service
    expect(Number(env.GG_WORKER_PORT)).toBe(port);
  });

  it("secrets come from the Secret and the ConfigMap by their names, with keys that exist", () => {
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    const refs = (container.env as Doc[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.valueFrom.secretKeyRef);
    expect(refs.map((r) => r.key).sort()).toEqual([
      "GG_HEALTH_TOKEN",
      "GG_INTERNAL_SECRET",
      "GG_METRICS_TOKEN",
      "GG_S3_ACCESS_KEY_ID",
      "GG_S3_SECRET_ACCESS_KEY",
    ]);
    for (const r of refs) {
      expect(r.name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData)).toContain(r.key);
    }
    // Nothing secret sits in the ConfigMap.
    expect(Object.keys(configMap.data).filter((k) => /SECRET|KEY/.test(k))).toEqual([]);
  });

  it("one GPU per pod, requested and limited", () => {
    expect(container.resources.requests["nvidia.com/gpu"]).toBe(1);
    expect(container.resources.limits["nvidia.com/gpu"]).toBe(1);
  });

  it("ports and probes point at the worker's port and its unauthenticated GET /healthz", () => {
    expect(containerPort("http")).toBe(port);
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      expect(container[probe]?.httpGet?.path, probe).toBe("/healthz"); // /internal/health needs a token
      expect(containerPort(container[probe].httpGet.port), probe).toBe(port);
    }
  });

  it("Service, Ingress, PodDisruptionBudget and the ScaledObject select these pods", () => {
    expect(selects(service.spec.selector)).toBe(true);
    expect(containerPort(service.spec.ports[0].targetPort)).toBe(port);
    expect(service.spec.ports[0].port).toBe(port);
    const pdb = one(files, "PodDisruptionBudget");
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    const ingress = one(files, "Ingress");
    for (const rule of ingress.spec.rules as Doc[])
      for (const p of rule.http.paths as Doc[]) {
        expect(p.backend.service.name).toBe(service.metadata.name);
        expect(service.spec.ports.some((sp: Doc) => sp.name === p.backend.service.port.name)).toBe(true);
        expect("/internal/jobs".startsWith(p.path)).toBe(true);
      }
  });

  // The names the worker's registry exports (its default process metrics left out: the scaler needs ours).
  const exported = new Set(
    new WorkerMetrics(() => ({ running: 0, queued: 0, capacity: 8, draining: false, spooled: 0 }), {
      defaultMetrics: false,
    }).registry
      .getMetricsAsArray()
      .map((m) => m.name),
  );

  it("KEDA scales the Deployment through Prometheus on metrics the worker exports", () => {
    const so = one(files, "ScaledObject");
    expect(so.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
    expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    const capacity = Number(configMap.data.GG_CAPACITY ?? WORKER_DEFAULTS.GG_CAPACITY);
    const triggers = so.spec.triggers as Doc[];
    for (const t of triggers) {
      expect(t.type).toBe("prometheus");
      expect(t.metricType ?? "AverageValue").toBe("AverageValue"); // replicas = ceil(sum over pods / threshold)
      expect(() => new URL(t.metadata.serverAddress)).not.toThrow();
      const names = [...String(t.metadata.query).matchAll(/\b(gg_[a-z_]+)\b/g)].map((m) => m[1]!);
      expect(names.length, t.metadata.query).toBeGreaterThan(0);
      for (const n of names) expect(exported, n).toContain(n);
      expect(t.metadata.query).toContain(`namespace="${deployment.metadata.namespace}"`);
      expect(Number(t.metadata.threshold)).toBeGreaterThan(0);
    }
    const byMetric = (name: string) => triggers.find((t) => String(t.metadata.query).includes(name));
    expect(byMetric("gg_worker_queue_depth")).toBeDefined();
    expect(Number(byMetric("gg_worker_running_jobs")?.metadata.threshold)).toBeLessThanOrEqual(capacity);
    // Every trigger asks the same Prometheus: one parameter to set per cluster.
    expect(new Set(triggers.map((t) => t.metadata.serverAddress)).size).toBe(1);
  });

  it("Prometheus scrapes /metrics with the bearer the worker reads as GG_METRICS_TOKEN", () => {
    const env = (container.env as Doc[]).find((e) => e.name === "GG_METRICS_TOKEN");
    const ref = env?.valueFrom?.secretKeyRef;
    expect(ref?.name).toBe(secret.metadata.name);
    expect(workerReads({ GG_METRICS_TOKEN: secret.stringData[ref.key] }).has("GG_METRICS_TOKEN")).toBe(true);
  });

  it("the pod's grace period covers preStop, the worker's drain grace and the drain's margin", () => {
    const preStop = container.lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe("sleep");
    const preStopMs = Number(preStop[1]) * 1000;
    const graceMs = Number(configMap.data.GG_DRAIN_GRACE_MS ?? WORKER_DEFAULTS.GG_DRAIN_GRACE_MS);
    expect(workerReads({ GG_DRAIN_GRACE_MS: String(graceMs) }).has("GG_DRAIN_GRACE_MS")).toBe(true);
    const needMs = preStopMs + graceMs + DRAIN_MARGIN_MS; // Kubernetes counts preStop inside the grace period
    const givenMs = pod.terminationGracePeriodSeconds * 1000;
    expect(givenMs).toBeGreaterThanOrEqual(needMs);
    expect(givenMs - needMs).toBeLessThanOrEqual(10_000); // matched to the drain, not a number left over
  });

  it("nothing else: every kind is one the docs describe", () => {
    const kinds = files.flatMap((f) => f.docs.map((d) => d.kind)).sort();
    expect(kinds).toEqual([
      "ConfigMap",
      "Deployment",
      "Ingress",
      "Namespace",
      "PodDisruptionBudget",
      "ScaledObject",
      "Secret",
      "Service",
    ]);
    expect(byKind(files, "Deployment")).toHaveLength(1);
  });

  // kubectl is optional (CI may lack it); when present, kustomize must render the set.
  const kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].find((p) => existsSync(p));
  it.skipIf(!kubectl)("kubectl kustomize renders infra/k8s", () => {
    const out = execFileSync(kubectl!, ["kustomize", K8S_DIR], { encoding: "utf8", timeout: 30_000 });
    expect(out).toContain("kind: ScaledObject");
    expect(out).not.toContain("kind: Secret");
  });
});
