// Restart a killed service on its own port (the edge's pool knows workers by URL). stack.startWorker()
// cannot: it waits on a fresh port even when GG_WORKER_PORT is overridden. The caller stops what it starts.
import { type Service, type Stack, spawnTs } from "@guidegate/stack";
import { until } from "./probes.ts";

export async function restartService(
  dead: Service,
  entry: string,
  readyPath: string,
  name: string,
  env: Record<string, string> = {},
): Promise<Service> {
  const { proc, output } = spawnTs(entry, { ...dead.env, ...env }, name, true);
  await until(
    `${name} back on ${dead.url}`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`${name} exited: ${output.join("")}`);
      return (await fetch(`${dead.url}${readyPath}`, { signal: AbortSignal.timeout(2_000) })).ok;
    },
    120_000,
  );
  return { ...dead, env: { ...dead.env, ...env }, proc, output };
}

export const restartWorker = (dead: Service, env?: Record<string, string>) =>
  restartService(dead, "gpu-worker/src/main.ts", "/healthz", dead.env.GG_WORKER_ID ?? "worker", env);
export const restartEdge = (dead: Service, env?: Record<string, string>) =>
  restartService(dead, "edge/src/node.ts", "/healthz", "edge", env);

/** SIGTERM a process this module started and wait for it to exit. */
export async function stopService(s: Service | undefined): Promise<void> {
  if (!s || s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise((r) => s.proc.once("exit", r));
  s.proc.kill("SIGTERM");
  await exited;
}

/**
 * stack.stop() after a SIGKILL: it waits for "exit" from every child whose exitCode is null, and a child
 * killed by a signal keeps exitCode null after it exited, so stop() would wait forever. Mark those exited.
 */
export async function stopStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  for (const s of [stack.edge, ...stack.workers])
    if (s.proc.exitCode === null && s.proc.signalCode !== null) (s.proc as { exitCode: number | null }).exitCode = 128;
  await stack.stop();
}
