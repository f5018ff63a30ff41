// Processes of the local stack stop when whatever started them is gone, even when it was SIGKILLed
// and could pass no signal on. A process whose parent dies is re-parented (to init or a subreaper),
// so polling process.ppid notices it within one interval on every POSIX system.
import { readFileSync } from "node:fs";

const SHELLS = new Set(["sh", "dash", "bash", "zsh", "ash", "ksh"]);

/** Linux only: a process's command name and parent, or null when it is gone (or there is no /proc). */
function procStat(pid: number): { comm: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    return { comm: stat.slice(stat.indexOf("(") + 1, close), ppid: Number(stat.slice(close + 2).split(" ")[1]) };
  } catch {
    return null;
  }
}

export interface WatchOptions {
  /** The parent to watch (default: the current one). A process spawned by a parent that is already gone sees
   * another ppid at once. */
  parent?: number;
  /** Also watch the shell's parent when the parent is a shell: npm runs scripts through `sh -c`, and dash
   * neither execs the command nor passes SIGTERM on, so npm itself is the process to watch. */
  throughShell?: boolean;
  intervalMs?: number;
}

/** Calls onGone once, when the parent (or, through a shell, the shell's parent) has gone. Returns a stop function. */
export function watchParent(onGone: () => void, opts: WatchOptions = {}): () => void {
  const parent = opts.parent ?? process.ppid;
  const shell = opts.throughShell ? procStat(parent) : null;
  const grandparent = shell && SHELLS.has(shell.comm) && shell.ppid > 1 ? shell.ppid : null;
  const gone = () => process.ppid !== parent || (grandparent !== null && procStat(parent)?.ppid !== grandparent);
  const timer = setInterval(() => {
    if (!gone()) return;
    clearInterval(timer);
    onGone();
  }, opts.intervalMs ?? 250);
  timer.unref(); // watching never keeps a process alive by itself
  return () => clearInterval(timer);
}
