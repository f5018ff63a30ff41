// Requests Node's HTTP parser refuses before the app sees them, and clients too slow to finish one, over
// raw sockets (fetch would refuse to send most of them): each must get a status with the error envelope,
// the slow ones within the server's header and request timeouts.
import { connect } from "node:net";
import { ErrorEnvelopeSchema } from "@guidegate/shared";

export interface RawAnswer {
  /** Everything the server sent before it closed. */
  text: string;
  ms: number;
}

/** Writes `parts` to host:port (waiting `gapMs` between them) and reads until the server closes. */
export function rawHttp(port: number, parts: string[], gapMs = 0, host = "127.0.0.1"): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect(port, host);
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (d) => (text += d));
    socket.on("error", (err) => (text ? resolve({ text, ms: Date.now() - t0 }) : reject(err)));
    socket.on("close", () => resolve({ text, ms: Date.now() - t0 }));
    socket.on("connect", async () => {
      for (const p of parts) {
        if (socket.destroyed) return;
        socket.write(p);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

/** The last HTTP response in `text`: its status, lower-cased head, and error code ("" when no envelope). */
export function lastResponse(text: string): { status: number; head: string; code: string } {
  const resp = text.slice(text.lastIndexOf("HTTP/1.1 "));
  const [head = "", body = ""] = resp.split("\r\n\r\n");
  let code = "";
  try {
    code = ErrorEnvelopeSchema.parse(JSON.parse(body)).error.code;
  } catch {
    // no envelope: code stays ""
  }
  return { status: Number(resp.slice(9, 12)), head: head.toLowerCase(), code };
}

export interface ParserCase {
  name: string;
  parts: string[];
  gapMs?: number;
  status: number;
  code: string;
}

const json = '{"prompt":"x"}';
/** The cases; `token` authenticates the slow body so the app waits for it instead of answering 401. */
export function parserCases(token: string): ParserCase[] {
  return [
    {
      name: "60 KB header",
      parts: [`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(60 * 1024)}\r\n\r\n`],
      status: 431,
      code: "headers_too_large",
    },
    {
      name: "Content-Length with Transfer-Encoding",
      parts: [
        `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: ${json.length}\r\nTransfer-Encoding: chunked\r\n\r\n${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`,
      ],
      status: 400,
      code: "malformed_http",
    },
    {
      name: "bytes after the request",
      parts: ["GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\u0001\u0002 not a request\r\n\r\n"],
      status: 400,
      code: "malformed_http",
    },
    {
      name: "slow headers",
      parts: ["GET /v1/models HTTP/1.1\r\n", "Host: x\r\n", "X-Slow: 1\r\n", "X-Slow: 2\r\n", "X-Slow: 3\r\n"],
      gapMs: 400,
      status: 408,
      code: "request_timeout",
    },
    {
      name: "slow body",
      parts: [
        `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
        '{"pro',
        "mpt",
        '":"',
      ],
      gapMs: 700,
      status: 408,
      code: "request_timeout",
    },
  ];
}

export interface ParserResult {
  cases: number;
  failures: Array<{ name: string; detail: string }>;
  /** How long the slowest 408 took to arrive. */
  slowestMs: number;
}

export async function parserScenario(port: number, token: string): Promise<ParserResult> {
  const failures: ParserResult["failures"] = [];
  let slowestMs = 0;
  const cases = parserCases(token);
  for (const c of cases) {
    const r = await rawHttp(port, c.parts, c.gapMs);
    const got = lastResponse(r.text);
    if (got.status === 408) slowestMs = Math.max(slowestMs, r.ms);
    if (got.status !== c.status || got.code !== c.code)
      failures.push({ name: c.name, detail: `HTTP ${got.status || "none"} ${got.code || "without the envelope"}` });
  }
  return { cases: cases.length, failures, slowestMs };
}
