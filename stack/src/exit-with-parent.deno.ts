// exit-with-parent.mjs for the Deno edge (`deno run --preload this`): Deno has no Node preload and no
// `process.ppid` polling through tsx, but Deno.ppid is read afresh on each access and changes when the
// parent dies and the process is re-parented, so the same watch works here (SIGKILL of the launcher too).
// The few Deno APIs used, declared here: the repo typechecks with Node's types only (as edge/src/deno.ts does).
declare const Deno: {
  env: { get(name: string): string | undefined; delete(name: string): void };
  readonly ppid: number;
  readonly pid: number;
  kill(pid: number, signal: "SIGTERM"): void;
  exit(code: number): never;
  unrefTimer(id: number): void;
};

const parentPid = Number(Deno.env.get("GG_STACK_PARENT_PID"));
Deno.env.delete("GG_STACK_PARENT_PID"); // only this process watches, not what it may spawn
// Started on "load": Deno runs the main module only once a preload's event loop has settled, and a
// pending interval (even unref'd) keeps it from settling, so the edge would never start.
if (Number.isInteger(parentPid) && parentPid > 0) globalThis.addEventListener("load", watchParent);

function watchParent(): void {
  const timer = setInterval(() => {
    if (Deno.ppid === parentPid) return;
    clearInterval(timer);
    Deno.unrefTimer(Number(setTimeout(() => Deno.exit(1), 5_000)));
    Deno.kill(Deno.pid, "SIGTERM");
  }, 250);
  Deno.unrefTimer(Number(timer)); // watching never keeps the edge alive by itself
}

export {};
