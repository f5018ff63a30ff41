// nginx for `npm run bench:gateway`: Debian's package, installed with apt-get when missing, run in the
// foreground from a config of our own (one worker, proxy_pass to the stand-in over kept-alive upstream
// connections, buffering on: what an operator's plain reverse proxy does). Null, with the reason, where
// it cannot be had.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@guidegate/stack";

export interface Nginx {
  url: string;
  /** The master's pid. */
  pid: number;
  stop(): Promise<void>;
}

const has = (bin: string) => spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0;

/** The nginx binary, installing Debian's package if need be; a string saying why not otherwise. */
function nginxBinary(): { bin: string } | { skip: string } {
  if (has("nginx")) return { bin: "nginx" };
  if (!has("apt-get")) return { skip: "nginx is not installed and there is no apt-get to install it" };
  const root = process.getuid?.() === 0;
  if (!root && !has("sudo")) return { skip: "nginx is not installed and installing it needs root" };
  const [cmd, ...args] = [...(root ? [] : ["sudo", "-n"]), "apt-get", "install", "-y", "nginx"];
  console.log("  installing nginx (apt-get install -y nginx) ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync(cmd!, args, { stdio: "ignore", env });
  } catch {
    return { skip: "apt-get install -y nginx failed (offline, or no permission)" };
  }
  return has("nginx") ? { bin: "nginx" } : { skip: "nginx is still missing after apt-get install" };
}

function config(dir: string, port: number, upstream: string): string {
  return `daemon off;
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, "body")};
  proxy_temp_path ${join(dir, "proxy")};
  fastcgi_temp_path ${join(dir, "fastcgi")};
  uwsgi_temp_path ${join(dir, "uwsgi")};
  scgi_temp_path ${join(dir, "scgi")};
  upstream stand_in { server ${upstream}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://stand_in;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** nginx proxying to `upstream` (host:port), or `{ skip }` saying why there is none. */
export async function startNginx(dir: string, upstream: string): Promise<Nginx | { skip: string }> {
  const found = nginxBinary();
  if ("skip" in found) return found;
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, config(dir, port, upstream));
  const proc = spawn(found.bin, ["-p", dir, "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) return { skip: `nginx exited at start: ${stderr.trim()}` };
    try {
      if ((await fetch(`${url}/internal/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: proc.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGQUIT"); // graceful: finish open requests, then exit
      }),
  };
}
