// Preloaded (`node --import tsx --import this`) into every Node service the local stack spawns
// (stack/src/index.ts): once the process that spawned it is gone, however it went (SIGKILL too),
// the service gets SIGTERM, shuts down as under Ctrl-C, and is made to exit if that takes over 5 s.
// A process whose parent dies is re-parented, so polling process.ppid notices it. Plain JavaScript:
// preloads after tsx's are not compiled by it.
const parent = Number(process.env.GG_STACK_PARENT_PID);
// Only the spawned process itself watches: a process it starts in turn (wrangler re-executes itself) may
// inherit this preload, but not the variable.
delete process.env.GG_STACK_PARENT_PID;
if (Number.isInteger(parent) && parent > 0) {
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    setTimeout(() => process.exit(1), 5_000).unref();
    process.kill(process.pid, "SIGTERM");
  }, 250);
  timer.unref(); // watching never keeps a service alive by itself
}
