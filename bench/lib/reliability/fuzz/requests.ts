// fast-check arbitraries for hostile requests to the public API. Every case carries one deliberate
// defect (token, body, path, method, header, query); `mayBeValid` marks the few that a correct
// gateway may accept (they reach the pool, which in-process refuses with 503).
import fc from "fast-check";
import { type JsonLike, Obj, Raw, toJsonText } from "./json.ts";
import { INVALID_TOKEN_KINDS, type TokenSpec } from "./tokens.ts";

export interface HostileRequest {
  defect: "token" | "body" | "path" | "method" | "header" | "query";
  method: string;
  path: string; // with query string
  headers: Record<string, string>;
  body?: string | Uint8Array;
  token: TokenSpec;
  /** A correct gateway may accept it (then, in-process, the refusing pool answers 503). */
  mayBeValid: boolean;
  /** The `param`s a 400 may name for this request (null: no field, e.g. malformed JSON); unchecked when absent. */
  params?: ReadonlyArray<string | null>;
}

/** A body and the params a 400 for it may name. */
interface BodyCase {
  text: string | Uint8Array;
  params: ReadonlyArray<string | null>;
}

/** The param a 400 names for a top-level key (issuePath: "" names nothing). */
const paramOf = (key: string): string | null => key || null;
/** Values that are not JSON at all: the body is then malformed JSON, a 400 that names no field. */
const NOT_JSON = new Set(["NaN", "Infinity", "-Infinity"]);

const BODY_PATHS = ["/v1/images/generations", "/v1/jobs"] as const;

/** A PNG header claiming 100000 × 100000 pixels: a decompression bomb the edge must refuse from its header. */
const PNG_BOMB = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 1, 0x86, 0xa0, 0, 1, 0x86,
  0xa0, 8, 6, 0, 0, 0, 0, 0, 0, 0,
]).toString("base64");
const READ_PATHS = ["/v1/usage", "/v1/models", "/v1/policies"] as const;
const TIERS = ["eco", "standard", "pro"] as const;
const JNDI = ["$", "{jndi:ldap://127.0.0.1/x}"].join(""); // a log-injection payload, literally

/** Header values must be byte strings without CR, LF or NUL (the client library refuses others). */
export const headerSafe = (s: string): string => s.replace(/[^\x20-\x7e\x80-\xff]/g, "?").trim();

const ODD_SUBS = [
  "alice",
  "bob",
  "carol",
  "../../etc/passwd",
  "a/b",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "ünïcødé",
  "😀",
  "x".repeat(128),
  "\u202eevil",
  "null",
  "undefined",
  "%2e%2e",
  " ",
];
const subject = fc.oneof(
  fc.constantFrom(...ODD_SUBS),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((s) => s.length <= 128),
);
export const validToken: fc.Arbitrary<TokenSpec> = fc.record({
  kind: fc.constant("valid" as const),
  sub: subject,
  tier: fc.constantFrom(...TIERS),
});

const GARBAGE_HEADERS = [
  "Bearer",
  "Bearer ",
  "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
  "Token abc",
  "Bearer a.b.c",
  "Bearer ....",
  "bearer eyJhbGciOiJIUzI1NiJ9",
  "Bearer eyJhbGciOiJub25lIn0.e30.",
  `Bearer ${JNDI}`,
  "Bearer null",
  "Bearer undefined",
];
const invalidToken: fc.Arbitrary<TokenSpec> = fc.oneof(
  fc.constant({ kind: "missing" as const }),
  fc
    .oneof(
      fc.constantFrom(...GARBAGE_HEADERS),
      fc.string({ unit: "binary", maxLength: 300 }).map((s) => `Bearer ${s}`),
      fc.string({ maxLength: 10_000 }),
    )
    .map((h) => ({ kind: "raw" as const, header: headerSafe(h) || "Bearer" })),
  fc.record({ kind: fc.constantFrom(...INVALID_TOKEN_KINDS), sub: subject }),
  fc
    .record({
      kind: fc.constant("unknown-tier" as const),
      sub: subject,
      tier: fc.oneof(
        fc.constantFrom("__proto__", "constructor", "toString", "valueOf", "free", "", "PRO", "pro "),
        fc.string({ maxLength: 20 }),
      ),
    })
    .filter((t) => !(TIERS as readonly string[]).includes(t.tier)),
);

const raw = (t: string) => new Raw(t);
const obj = (e: Array<[string, JsonLike]>) => new Obj(e);
const NON_FINITE = [raw("NaN"), raw("Infinity"), raw("-Infinity"), raw("1e400"), raw("-1e400")];
/** Values of known fields that the schema must refuse whatever else the body holds. */
const BAD_FIELDS: Record<string, JsonLike[]> = {
  prompt: ["", 5, null, [], obj([]), true, "x".repeat(4001), ...NON_FINITE],
  // An edit's inputs: not base64, a URL (never fetched), not an image, a bomb, a mask or strength alone.
  image: ["", "https://example.com/a.png", "data:image/png;base64,iVBORw0KGgo=", "aGVsbG8=", PNG_BOMB, 5, [], obj([])],
  mask: [PNG_BOMB, "aGVsbG8=", "https://example.com/m.png", null],
  strength: [-0.1, 1.5, "0.5", null, true, ...NON_FINITE],
  n: [-1, 0, 1.5, 17, "2", null, true, [], 2 ** 53 + 1, ...NON_FINITE],
  steps: [0, -1, 1001, 2.5, "10", null, obj([]), ...NON_FINITE],
  seed: [-1, 2 ** 32, 1.5, "7", 1e21, ...NON_FINITE],
  size: [
    "0x0",
    "32x32x32",
    "-32x32",
    "３２x３２",
    "32X32",
    "",
    "x",
    "32x",
    " 32x32",
    "32x32\u0000",
    "../32x32",
    123,
    null,
  ],
  guidance: [
    obj([["policy", "__proto__"]]),
    obj([["policy", "constructor"]]),
    obj([["policy", "toString"]]),
    obj([
      ["policy", "cfg"],
      ["scale", raw("1e400")],
    ]),
    obj([
      ["policy", "cfg"],
      ["scale", -1],
    ]),
    obj([
      ["policy", "cfg"],
      ["scale", raw("NaN")],
    ]),
    "cfg",
    null,
    [],
    obj([]),
    obj([
      ["policy", "apg"],
      ["momentum", 1],
    ]),
  ],
  max_nfe: [0, -5, 1_000_001, 1.5, "100", ...NON_FINITE],
  partial_images: [4, -1, 0.5, "1"],
  response_format: ["xml", "", "URL", null, 1],
  output_format: ["gif", "../png", "PNG", null],
  scheduler: ["__proto__", "constructor", "DDIM", "euler ", ""],
  stream: ["true", 1, null, "yes"],
  preview_every: [0, -1, 1001, 1.5],
  negative_prompt: [5, null, "x".repeat(4001), obj([]), []],
  model: ["", "x".repeat(101), 5, null],
  user: ["x".repeat(257), 5, obj([])],
};
const ODD_PROMPTS = [
  "a red circle",
  "ＡＢＣ",
  "\u200b\u200b",
  "😀".repeat(500),
  "<script>alert(1)</script>",
  "'; DROP TABLE jobs; --",
  JNDI,
  "a\u0000b",
  "\ud83d",
  "x".repeat(4000),
  "\u202egnp.exe",
];
const prompt = fc.oneof(
  fc.constantFrom(...ODD_PROMPTS),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 200 }).filter((s) => s.length >= 1),
);
const POLLUTERS: Array<[string, JsonLike]> = [
  ["__proto__", obj([["polluted", "yes"]])],
  ["constructor", obj([["prototype", obj([["polluted", "yes"]])]])],
  ["prototype", obj([["polluted", "yes"]])],
  ["__proto__", obj([["prompt", 5]])],
];
const unknownKey = fc
  .tuple(
    fc.string({ unit: "grapheme", maxLength: 20 }),
    fc.oneof(fc.string({ maxLength: 20 }), fc.double(), fc.constant<JsonLike>(null)),
  )
  .filter(([k]) => !(k in BAD_FIELDS) && !["stream"].includes(k)) as fc.Arbitrary<[string, JsonLike]>;

/** Bodies a correct gateway may accept: a usable prompt plus prototype-pollution keys and unknown fields. */
const maybeValidBody: fc.Arbitrary<BodyCase> = fc
  .tuple(
    prompt,
    fc.subarray(POLLUTERS),
    fc.array(unknownKey, { maxLength: 4 }),
    fc.constantFrom(1, 4, 30),
    fc.constantFrom<JsonLike>("none", "cfg"),
  )
  .map(([p, pol, extra, steps, policy]) => ({
    text: toJsonText(obj([...pol, ...extra, ["prompt", p], ["steps", steps], ["guidance", obj([["policy", policy]])]])),
    // Refused only for an unknown key (or a known one with a bad value) or a blank prompt: the 400 names it.
    params: ["prompt", ...[...pol, ...extra].map(([k]) => paramOf(k))],
  }));

/** One bad field (last, so duplicates lose): the 400 names it, a path under it, or a polluting key sent with it. */
function badFieldParams(
  field: string,
  value: JsonLike,
  pol: ReadonlyArray<readonly [string, JsonLike]>,
): Array<string | null> {
  if (value instanceof Raw && NOT_JSON.has(value.text)) return [null];
  // A well-formed mask or strength without an image is refused for the image it lacks.
  const lacking = field === "mask" || field === "strength" ? ["image"] : [];
  return [field, ...lacking, ...pol.map(([k]) => paramOf(k))];
}

/** Bodies that must be refused: malformed text, wrong shapes, one bad field (last, so duplicates lose), too large. */
const noField = (text: string | Uint8Array): BodyCase => ({ text, params: [null] });
const invalidBody: fc.Arbitrary<BodyCase> = fc.oneof(
  fc
    .constantFrom(
      "",
      " ",
      "{",
      "}",
      '{"prompt":',
      '{"prompt":"x",}',
      "{'prompt':'x'}",
      "NaN",
      "null",
      "[]",
      "123",
      '"prompt"',
      '{"prompt":"x"} trailing',
      '/* c */{"prompt":"x"}',
      '{"prompt":"x" "steps":4}',
    )
    .map(noField),
  fc.integer({ min: 1, max: 30_000 }).map((d) => noField("[".repeat(d))),
  fc.integer({ min: 1, max: 30_000 }).map((d) => noField(`${"[".repeat(d)}${"]".repeat(d)}`)),
  fc.uint8Array({ maxLength: 2_000 }).map((b) => noField(Uint8Array.from([0xff, ...b]))), // never valid UTF-8 JSON
  fc
    .tuple(prompt, fc.constantFrom(...Object.keys(BAD_FIELDS)), fc.nat(), fc.subarray(POLLUTERS))
    .map(([p, field, i, pol]) => {
      const values = BAD_FIELDS[field]!;
      const value = values[i % values.length]!;
      return {
        text: toJsonText(obj([["prompt", p], ...pol, [field, value]])),
        params: badFieldParams(field, value, pol),
      };
    }),
  // Over the body limit: a 413, no field to name; the routes that take images allow larger bodies, and
  // there the prompt is over its 4000 characters.
  fc
    .constantFrom(70 * 1024, 1024 * 1024)
    .map((n) => ({ text: JSON.stringify({ prompt: "x".repeat(n) }), params: [null, "prompt"] })),
);

/** Idempotency-Keys the gateway must refuse: empty, spaces, non-ASCII, over 255 characters. */
const badKey = fc.oneof(
  fc.constantFrom("", " ", "a b", "\t", "é", "x".repeat(256), '""', '" "'),
  fc.string({ unit: "binary", maxLength: 300 }).map((s) => `k\u00e9${headerSafe(s)}`),
);

const CONTENT_TYPES = [
  "application/json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "application/xml",
  'garbage/garbage; x="',
  "application/json, text/html",
];

// ".." segments are resolved by the URL parser: these land on /v1/ or on routes that do not exist.
const ODD_IDS = [
  "..",
  "../../../etc/passwd",
  "..%2F..%2Fetc%2Fpasswd",
  "%2e%2e%2f%2e%2e",
  "__proto__",
  "constructor",
  "prototype",
  "%00",
  "%ZZ",
  "%",
  "job_0000000000000000000000000000000000000000",
  "job_../../x",
  "%F0%9F%92%A9",
  "a".repeat(5_000),
  "job_;rm -rf /",
  "..\\..\\windows",
  "%252e%252e",
  "1 OR 1=1",
  "' OR '1'='1",
];
const jobId = fc.oneof(
  fc.constantFrom(...ODD_IDS),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }).map(encodeURIComponent),
);
const query = fc.option(
  fc
    .array(
      fc.tuple(
        fc.constantFrom("access_token", "last_event_id", "__proto__[x]", "constructor[prototype][x]", "stream", "x"),
        fc.string({ maxLength: 40 }),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((kv) => `?${kv.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`),
  { nil: "" },
);

function request(
  defect: HostileRequest["defect"],
  method: string,
  path: string,
  token: TokenSpec,
  extra: Partial<HostileRequest> = {},
): HostileRequest {
  return { defect, method, path, headers: {}, token, mayBeValid: false, ...extra };
}

export function hostileRequests(opts: { invalidOnly: boolean }): fc.Arbitrary<HostileRequest> {
  const anyEndpoint = fc.oneof(
    fc.constantFrom(...BODY_PATHS).map((p) => ({ method: "POST", path: p })),
    fc.constantFrom(...READ_PATHS).map((p) => ({ method: "GET", path: p })),
    jobId.map((id) => ({ method: "GET", path: `/v1/jobs/${id}` })),
    jobId.map((id) => ({ method: "POST", path: `/v1/jobs/${id}/cancel` })),
  );
  const body = opts.invalidOnly ? invalidBody : fc.oneof(invalidBody, maybeValidBody);
  const arbs: Array<fc.WeightedArbitrary<HostileRequest>> = [
    // A bad token on any authenticated endpoint, whatever the body.
    {
      weight: 3,
      arbitrary: fc
        .tuple(invalidToken, anyEndpoint, fc.oneof(invalidBody, maybeValidBody), query)
        .map(([t, e, b, q]) =>
          request("token", e.method, `${e.path}${q}`, t, { body: e.method === "POST" ? b.text : undefined }),
        ),
    },
    // A good token and a bad body (or, when allowed, an odd but acceptable one).
    {
      weight: 3,
      arbitrary: fc
        .tuple(validToken, fc.constantFrom(...BODY_PATHS), invalidBody, fc.constantFrom(...CONTENT_TYPES), query)
        .map(([t, p, b, ct, q]) =>
          request("body", "POST", `${p}${q}`, t, { body: b.text, headers: { "content-type": ct }, params: b.params }),
        ),
    },
    // Ids that are not the caller's (traversal, encodings, unicode, huge).
    {
      weight: 2,
      arbitrary: fc
        .tuple(validToken, jobId, fc.constantFrom("", "/events", "/cancel", "/x/y"), query)
        .map(([t, id, suffix, q]) =>
          request("path", suffix === "/cancel" ? "POST" : "GET", `/v1/jobs/${id}${suffix}${q}`, t, {
            headers: { "last-event-id": "3" },
          }),
        ),
    },
    // Methods no route answers.
    {
      weight: 1,
      arbitrary: fc
        .tuple(validToken, fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS"), anyEndpoint, body)
        .map(([t, m, e, b]) => request("method", m, e.path, t, { body: b.text })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(validToken, fc.constantFrom(...BODY_PATHS)).map(([t, p]) => request("method", "GET", p, t)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validToken, fc.constantFrom(...READ_PATHS), body)
        .map(([t, p, b]) => request("method", "POST", p, t, { body: b.text })),
    },
    // A bad Idempotency-Key, or a bad Last-Event-ID on an event stream that is not the caller's.
    {
      weight: 1,
      arbitrary: fc.tuple(validToken, fc.constantFrom(...BODY_PATHS), body, badKey).map(([t, p, b, key]) =>
        request("header", "POST", p, t, {
          body: b.text,
          headers: { "idempotency-key": key },
          params: [...b.params, "Idempotency-Key"],
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(validToken, jobId, fc.string({ maxLength: 40 })).map(([t, id, leid]) =>
        request("header", "GET", `/v1/jobs/${id}/events`, t, {
          headers: { "last-event-id": headerSafe(leid) },
          params: ["Last-Event-ID"],
        }),
      ),
    },
    // The event stream's query token instead of a header: only a missing or bad one.
    {
      weight: 1,
      arbitrary: fc
        .tuple(invalidToken, jobId)
        .map(([t, id]) =>
          request(
            "query",
            "GET",
            `/v1/jobs/${id}/events?access_token=${t.kind === "raw" ? encodeURIComponent(t.header) : "x.y.z"}`,
            { kind: "missing" },
          ),
        ),
    },
  ];
  if (!opts.invalidOnly) {
    arbs.push(
      {
        weight: 2,
        arbitrary: fc
          .tuple(validToken, fc.constantFrom(...BODY_PATHS), maybeValidBody, fc.constantFrom(...CONTENT_TYPES), query)
          .map(([t, p, b, ct, q]) =>
            request("body", "POST", `${p}${q}`, t, {
              body: b.text,
              headers: { "content-type": ct },
              mayBeValid: true,
              params: b.params,
            }),
          ),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(validToken, fc.constantFrom(...BODY_PATHS), maybeValidBody, fc.stringMatching(/^[\x21-\x7e]{1,255}$/))
          .map(([t, p, b, key]) =>
            request("header", "POST", p, t, {
              body: b.text,
              headers: { "idempotency-key": key },
              mayBeValid: true,
              params: b.params,
            }),
          ),
      },
    );
  }
  return fc.oneof(...arbs);
}
