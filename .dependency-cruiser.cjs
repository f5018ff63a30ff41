// `npm run check:deps`: the import rules of the repository (dependency-cruiser).
//  - no import cycles anywhere;
//  - the gpu-worker's folders are layers, each importing only the ones below it (WORKER_LAYERS);
//  - only gpu-worker/src/onnx/ imports onnxruntime-node;
//  - bench/, scripts/ and eval/ reach the worker through its package entry (@guidegate/gpu-worker),
//    never through relative paths into gpu-worker/src/;
//  - bench/ and scripts/ do not import each other; what both need lives in a package.

/**
 * Bottom to top. onnx/ wraps onnxruntime-node; schedulers/ and guidance/ are pure numerics (guidance
 * converts with the schedulers' prediction helpers); models/ runs a model folder's graphs and reads
 * its scheduler config and guidance defaults; pipeline/ is one generation and the batcher; runtime/
 * hosts the thread that runs it; storage/ keeps images; jobs/ queues generations; http/ serves them.
 */
const WORKER_LAYERS = ["onnx", "schedulers", "guidance", "models", "pipeline", "runtime", "storage", "jobs", "http"];

const layerRules = WORKER_LAYERS.slice(0, -1).map((layer, i) => ({
  name: `worker-layer-${layer}`,
  comment: `gpu-worker/src/${layer}/ is below ${WORKER_LAYERS.slice(i + 1).join(", ")}: it may not import them (or the entry points).`,
  severity: "error",
  from: { path: `^gpu-worker/src/${layer}/` },
  to: {
    path: [`^gpu-worker/src/(${WORKER_LAYERS.slice(i + 1).join("|")})/`, "^gpu-worker/src/(main|index|config)\\.ts$"],
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Import cycles make load order matter and layers meaningless.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: "worker-http-top",
      comment: "http/ is the worker's top layer: it may not import the entry points.",
      severity: "error",
      from: { path: "^gpu-worker/src/http/" },
      to: { path: "^gpu-worker/src/(main|index)\\.ts$" },
    },
    {
      name: "onnxruntime-only-in-onnx",
      comment: "ONNX Runtime is wrapped by gpu-worker/src/onnx/ alone (the runtime thread's SessionHost).",
      severity: "error",
      // Tests may open the fixture graphs with ORT themselves: an independent reference for the worker.
      from: { pathNot: ["^gpu-worker/src/onnx/", "^test/"] },
      to: { path: "(^|/)node_modules/onnxruntime-(node|common)/" },
    },
    {
      name: "worker-through-its-entry",
      comment:
        "bench/, scripts/ and eval/ import @guidegate/gpu-worker (gpu-worker/src/index.ts), not its internals or relative paths.",
      severity: "error",
      from: { path: "^(bench|scripts|eval)/" },
      // A relative path is "local" and never "aliased"; the package name is "aliased" from bench/ and
      // scripts/ (the root's workspaces) and "undetermined" from inside eval/ (its package.json does
      // not list the workspaces it imports, as edge's and gpu-worker's do not list shared).
      to: { path: "^gpu-worker/", dependencyTypes: ["local"], dependencyTypesNot: ["aliased"] },
    },
    {
      name: "worker-entry-only",
      comment: "The worker package's one public entry is gpu-worker/src/index.ts.",
      severity: "error",
      from: { path: "^(bench|scripts|eval)/" },
      to: { path: "^gpu-worker/", pathNot: "^gpu-worker/src/index\\.ts$" },
    },
    {
      name: "scripts-not-bench",
      comment: "scripts/ may not import bench/: shared code belongs in a package (eval/, stack/).",
      severity: "error",
      from: { path: "^scripts/" },
      to: { path: "^bench/" },
    },
    {
      name: "bench-not-scripts",
      comment: "bench/ may not import scripts/: shared code belongs in a package (eval/, stack/).",
      severity: "error",
      from: { path: "^bench/" },
      to: { path: "^scripts/" },
    },
    {
      name: "packages-not-tools",
      comment: "Workspace packages never import the benches, scripts or tests that use them.",
      severity: "error",
      from: { path: "^(shared|edge|gpu-worker|eval|stack)/" },
      to: { path: "^(bench|scripts|test)/" },
    },
    {
      name: "not-to-unresolvable",
      comment:
        "An import that resolves to nothing is a typo or a missing dependency (workerd's cloudflare: modules aside).",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, pathNot: "^cloudflare:" },
    },
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    exclude: { path: "(^|/)(\\.data|\\.wrangler)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
