// The edge's internal token, from jose over WebCrypto (every runtime) and from node:crypto (the Node entry):
// the same claims, verified by jose as the worker verifies them (gpu-worker/src/http/auth.ts).
import { INTERNAL_AUDIENCE, INTERNAL_ISSUER } from "@guidegate/shared";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { INTERNAL_TOKEN_TTL_SEC, internalSigner } from "../../../edge/src/pool/internal-token.ts";
import { nodeInternalSigner } from "../../../edge/src/pool/node-internal-token.ts";

const SECRET = "internal-token-test-secret";
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 700);
const verify = (token: string, secret = SECRET) =>
  jwtVerify(token, new TextEncoder().encode(secret), {
    algorithms: ["HS256"],
    audience: INTERNAL_AUDIENCE,
    issuer: INTERNAL_ISSUER,
    requiredClaims: ["exp", "job_id"],
    maxTokenAge: "10m",
    clockTolerance: 5,
    currentDate: new Date(NOW),
  });

describe("internal token", () => {
  it("both signers make the token the worker accepts, with the same claims", async () => {
    const tokens = [
      await internalSigner(SECRET)("job_abcdefgh", NOW),
      await nodeInternalSigner(SECRET)("job_abcdefgh", NOW),
    ];
    const payloads = [];
    for (const t of tokens) {
      expect(decodeProtectedHeader(t)).toEqual({ alg: "HS256", typ: "JWT" });
      payloads.push((await verify(t)).payload);
    }
    expect(payloads[0]).toEqual(payloads[1]);
    expect(payloads[1]).toEqual({
      job_id: "job_abcdefgh",
      iss: INTERNAL_ISSUER,
      aud: INTERNAL_AUDIENCE,
      sub: "edge",
      iat: Math.floor(NOW / 1000),
      exp: Math.floor(NOW / 1000) + INTERNAL_TOKEN_TTL_SEC,
    });
    expect(tokens[1]).toBe(tokens[0]); // same header, claims in the same order, same HMAC
  });

  it("a token signed with another secret, or altered, is refused", async () => {
    const token = await nodeInternalSigner("another-secret-of-enough-bytes")("job_abcdefgh", NOW);
    await expect(verify(token)).rejects.toThrow();
    const good = await nodeInternalSigner(SECRET)("job_abcdefgh", NOW);
    const [h, , sig] = good.split(".");
    const other = Buffer.from(
      JSON.stringify({ job_id: "job_other000", iss: INTERNAL_ISSUER, aud: INTERNAL_AUDIENCE }),
    ).toString("base64url");
    await expect(verify(`${h}.${other}.${sig}`)).rejects.toThrow();
  });

  it("both refuse a missing or short secret at start-up", () => {
    for (const make of [internalSigner, nodeInternalSigner]) {
      expect(() => make(undefined)).toThrow(/required/);
      expect(() => make("short")).toThrow(/16 bytes/);
    }
  });
});
