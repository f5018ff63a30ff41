// Loads infra/k8s/*.yaml as plain objects for the infra tests, and asks the worker's own config
// loader which environment variables it reads (zod strips the keys it does not know).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { loadWorkerConfig } from "@guidegate/gpu-worker";
import { ROOT } from "@guidegate/stack";

export const K8S_DIR = join(ROOT, "infra", "k8s");

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML
export type Doc = Record<string, any>;

export interface ManifestFile {
  file: string;
  docs: Doc[];
}

export function loadManifests(): ManifestFile[] {
  return readdirSync(K8S_DIR)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .sort()
    .map((file) => {
      const parsed = parseAllDocuments(readFileSync(join(K8S_DIR, file), "utf8"));
      for (const d of parsed)
        if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
      return { file, docs: parsed.map((d) => d.toJS() as Doc).filter(Boolean) };
    });
}

export function byKind(files: ManifestFile[], kind: string): Doc[] {
  return files.flatMap((f) => f.docs).filter((d) => d.kind === kind);
}

/** The one manifest of a kind (and name, when given); throws when there is not exactly one. */
export function one(files: ManifestFile[], kind: string, name?: string): Doc {
  const found = byKind(files, kind).filter((d) => !name || d.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0]!;
}

/** The environment variables the gpu-worker reads, out of `env`; throws when a value is invalid. */
export function workerReads(env: Record<string, string>): Set<string> {
  return new Set(Object.keys(loadWorkerConfig(env)).filter((k) => k in env));
}

export const WORKER_DEFAULTS = loadWorkerConfig({});
