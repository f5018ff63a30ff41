// A request the gateway would bill must say exactly what the caller meant: a misspelt field is a
// 400 naming it (never a run at the default), a blank prompt is refused, and the OpenAI Images
// fields we ignore are accepted (and still validated) so the official SDK keeps working.
import { describe, expect, it } from "vitest";
import { envelopeOf, testApp } from "./support.ts";

const ROUTES = ["/v1/images/generations", "/v1/jobs"];

for (const path of ROUTES) {
  describe(`POST ${path}`, () => {
    const refused: Array<[string, object, string, string]> = [
      ["a misspelt top-level field", { prompt: "a red circle", stpes: 10 }, "unknown_parameter", "stpes"],
      [
        "a misspelt guidance parameter",
        { prompt: "a red circle", guidance: { policy: "cfg", scal: 2 } },
        "unknown_parameter",
        "guidance.scal",
      ],
      [
        "a parameter of another policy",
        { prompt: "a red circle", guidance: { policy: "cfg", pag_scale: 2 } },
        "unknown_parameter",
        "guidance.pag_scale",
      ],
      ["a whitespace-only prompt", { prompt: " \t\n " }, "invalid_value", "prompt"],
      ["an empty prompt", { prompt: "" }, "invalid_value", "prompt"],
      [
        "an OpenAI field with a value OpenAI refuses",
        { prompt: "a red circle", quality: "ultra" },
        "invalid_value",
        "quality",
      ],
    ];
    for (const [what, body, code, param] of refused) {
      it(`${what}: 400 ${code} naming ${param}, nothing reserved or dispatched`, async () => {
        const t = testApp();
        const res = await t.post(path, body);
        expect(res.status).toBe(400);
        const e = await envelopeOf(res);
        expect(e).toMatchObject({ type: "invalid_request_error", code, param });
        expect(e.message).toContain(param);
        expect(t.pool.dispatched).toHaveLength(0);
        const usage = (await (await t.get("/v1/usage")).json()) as { used_nfe: number; reserved_nfe?: number };
        expect(usage.used_nfe).toBe(0);
      });
    }

    it("accepts the OpenAI Images fields it ignores and dispatches the request", async () => {
      const t = testApp();
      const res = await t.post(path, {
        prompt: "a red circle",
        quality: "high",
        background: "opaque",
        moderation: "low",
        output_compression: 80,
        style: "natural",
        user: "end-user-42",
      });
      // The recording pool answers "no capacity": the request got past validation to dispatch (a job then
      // waits for room, queued; a synchronous request is answered 503).
      expect(t.pool.dispatched.length).toBeGreaterThanOrEqual(1);
      expect(res.status).toBe(path === "/v1/jobs" ? 202 : 503);
      expect(t.pool.dispatched[0]).not.toHaveProperty("quality");
    });
  });
}
