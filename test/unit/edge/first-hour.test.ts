// What a new user runs into first, answered by the real app (memory stores): a wrong model names the
// ones that exist, a wrong method is 405 with Allow, a non-JSON body is 415, and /docs renders the
// Markdown its descriptions are written in.
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { renderDocs } from "../../../edge/src/openapi/docs-page.ts";
import { envelopeOf, testApp } from "./support.ts";

describe("model_not_found", () => {
  it("lists the models that exist", async () => {
    const t = testApp();
    const res = await t.post("/v1/images/generations", { prompt: "a red circle", model: "gpt-image-1" });
    expect(res.status).toBe(400);
    const e = await envelopeOf(res);
    expect(e).toMatchObject({ code: "model_not_found", param: "model" });
    for (const m of await t.pool.models()) expect(e.message).toContain(m.id);
  });
});

describe("a method the route does not have", () => {
  const cases: Array<[string, string, string]> = [
    ["GET", "/v1/images/generations", "POST"],
    ["DELETE", "/v1/jobs", "POST"],
    ["PUT", "/v1/jobs/job_123/cancel", "POST"],
    ["POST", "/v1/usage", "GET, HEAD"],
    ["DELETE", "/v1/jobs/job_123", "GET, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    it(`${method} ${path}: 405, Allow: ${allow}, the error envelope`, async () => {
      const t = testApp();
      const headers = { authorization: `Bearer ${await t.token()}` };
      const res = await t.app.request(path, { method, headers });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      const e = await envelopeOf(res);
      expect(e.type).toBe("method_not_allowed");
      expect(e.code).toBe("method_not_allowed");
      expect(e.message).toContain(method);
      expect(e.message).toContain(allow.split(", ")[0]);
    });
  }

  it("an unknown path is still 404", async () => {
    const t = testApp();
    const res = await t.get("/v1/nothing-here");
    expect(res.status).toBe(404);
    expect((await envelopeOf(res)).type).toBe("not_found_error");
  });
});

describe("request bodies that are not JSON", () => {
  const body = JSON.stringify({ prompt: "a red circle", steps: 4 });
  for (const path of ["/v1/images/generations", "/v1/jobs"]) {
    for (const type of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"]) {
      it(`POST ${path} as ${type}: 415 naming the type, nothing dispatched`, async () => {
        const t = testApp();
        const res = await t.post(path, body, { headers: { "content-type": type } });
        expect(res.status).toBe(415);
        const e = await envelopeOf(res);
        expect(e).toMatchObject({ type: "unsupported_media_type", code: "unsupported_media_type" });
        expect(e.message).toContain(type.split(";")[0]);
        expect(e.message).toContain("application/json");
        expect(t.pool.dispatched).toHaveLength(0);
      });
    }
  }

  it("application/json with a charset, and +json types, are JSON", async () => {
    const t = testApp();
    for (const type of ["application/json; charset=utf-8", "application/merge-patch+json"]) {
      const res = await t.post("/v1/jobs", body, { headers: { "content-type": type } });
      expect(res.status).not.toBe(415);
      expect(t.pool.dispatched.length).toBeGreaterThan(0);
    }
  });

  it("the official openai SDK still gets through (it sends application/json)", async () => {
    const t = testApp();
    const seen: string[] = [];
    const client = new OpenAI({
      apiKey: await t.token(),
      baseURL: "http://gateway.test/v1",
      maxRetries: 0,
      fetch: async (input: string | URL | Request, init?: RequestInit) => {
        const req = new Request(input, init);
        seen.push(req.headers.get("content-type") ?? "");
        return t.app.fetch(req);
      },
    });
    // The recording pool has no capacity: a 503 means the body was read and accepted as JSON.
    const err = (await client.images.generate({ prompt: "a red circle", model: "shapes-32" }).catch((e) => e)) as {
      status: number;
    };
    expect(seen[0]).toMatch(/^application\/json/);
    expect(err.status).toBe(503);
  });
});

describe("/docs", () => {
  const doc = (description: string) => ({
    info: { title: "t", version: "1", description: "Plain *text* & `info`." },
    paths: { "/x": { post: { summary: "S", description, responses: { "200": { description: "OK `done`" } } } } },
    components: { schemas: {} },
  });

  it("renders inline code, bold, emphasis and links; escapes HTML everywhere", () => {
    const html = renderDocs(
      doc("With `stream: true`: **SSE** whose `data:` carry *type*; see [the API](/openapi.json). <script>x</script>"),
    );
    expect(html).toContain(
      "With <code>stream: true</code>: <strong>SSE</strong> whose <code>data:</code> carry <em>type</em>",
    );
    expect(html).toContain('<a href="/openapi.json">the API</a>');
    expect(html).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain("OK <code>done</code>");
    expect(html).toContain("Plain <em>text</em> &amp; <code>info</code>.");
    expect(html).not.toContain("`");
  });

  it("code spans keep their content literal and escaped; unsafe link targets are not links", () => {
    const html = renderDocs(doc("`<b>**not bold**</b>` and [x](javascript:alert(1))"));
    expect(html).toContain("<code>&lt;b&gt;**not bold**&lt;/b&gt;</code>");
    expect(html).not.toContain('javascript:alert(1)"');
    expect(html).not.toMatch(/<a [^>]*javascript/);
  });

  it("the served page shows no Markdown backticks in its descriptions", async () => {
    const t = testApp();
    const html = await (await t.app.request("/docs")).text();
    const prose = html.replace(/<pre>[\s\S]*?<\/pre>/g, ""); // schemas are JSON, shown as is
    expect(prose).toContain("<code>stream: true</code>");
    expect(prose).not.toContain("`");
  });
});
