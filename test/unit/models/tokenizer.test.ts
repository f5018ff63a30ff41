import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadTokenizer } from "../../../gpu-worker/src/models/tokenizer.ts";

const fixture = (path: string) => fileURLToPath(new URL(`../../fixtures/${path}`, import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

interface Cases {
  max_length: number;
  cases: { prompt: string; ids: number[]; tokens?: number[] }[];
}
// Expected ids come from infra/model/model.py's tokenize (shapes) and a reference CLIP BPE (tiny-sd).
const shapesCases: Cases = readJson(fixture("shapes-tokenizer-cases.json"));
const clipCases: Cases & { bos_id: number; eos_id: number; sd1_pad_id: number; sd2_pad_id: number } = readJson(
  fixture("tiny-clip-tokenizer-cases.json"),
);
const SHAPES_DIR = fixture("shapes-tokenizer");
const CLIP_DIR = fixture("tiny-sd/tokenizer");

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A copy of a tokenizer folder with some files replaced (null removes the file). */
function variant(from: string, files: Record<string, unknown | null>): string {
  const dir = mkdtempSync(join(tmpdir(), "guidegate-tokenizer-"));
  scratch.push(dir);
  for (const name of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]) {
    if (existsSync(join(from, name))) copyFileSync(join(from, name), join(dir, name));
  }
  for (const [name, content] of Object.entries(files)) {
    if (content === null) rmSync(join(dir, name), { force: true });
    else writeFileSync(join(dir, name), JSON.stringify(content));
  }
  return dir;
}

describe("tokenizer: shapes model (WordLevel)", () => {
  const tokenizer = loadTokenizer(SHAPES_DIR);

  it("finds the special ids and max length in the files", () => {
    expect(tokenizer).toMatchObject({ maxLength: 16, bosId: 1, eosId: 2, padId: 0 });
  });

  it.each(shapesCases.cases.map((c) => [c.prompt, c.ids] as const))(
    "matches model.py's tokenize: %j",
    (prompt, ids) => {
      const encoded = tokenizer.encode(prompt);
      expect(encoded).toBeInstanceOf(Int32Array);
      expect([...encoded]).toEqual(ids);
    },
  );

  it("maps unknown words to [UNK]", () => {
    expect([...tokenizer.encode("a teal blob")].slice(0, 5)).toEqual([1, 4, 3, 3, 2]);
  });

  it("falls back to the model's unk_token when the config names none", () => {
    const dir = variant(SHAPES_DIR, {
      "tokenizer_config.json": { model_max_length: 16 },
      "special_tokens_map.json": null,
    });
    const bare = loadTokenizer(dir);
    expect(bare).toMatchObject({ bosId: 1, eosId: 2, padId: 0 });
    expect([...bare.encode("a teal blob")].slice(0, 5)).toEqual([1, 4, 3, 3, 2]);
  });

  it("loads the exported shapes-32 tokenizer and agrees with model.py on plain prompts", () => {
    const dir = fileURLToPath(new URL("../../../models/shapes-32/tokenizer", import.meta.url));
    if (!existsSync(join(dir, "tokenizer.json"))) return;
    const exported = loadTokenizer(dir);
    // Punctuation is left out: a Whitespace pre-tokenizer splits "circle," where model.py's split() does not.
    for (const c of shapesCases.cases.filter((c) => !/[^\w\s]/.test(c.prompt))) {
      expect([...exported.encode(c.prompt)]).toEqual(c.ids);
    }
  });
});

describe("tokenizer: CLIP-format byte-level BPE", () => {
  const tokenizer = loadTokenizer(CLIP_DIR);

  it("reads BOS/EOS (the last two ids, as in CLIP), pad and 77 from the files", () => {
    expect(tokenizer).toMatchObject({
      maxLength: 77,
      bosId: clipCases.bos_id,
      eosId: clipCases.eos_id,
      padId: clipCases.sd1_pad_id,
    });
    expect(clipCases.eos_id).toBe(clipCases.bos_id + 1);
  });

  it.each(clipCases.cases.map((c) => [c.prompt.slice(0, 60), c] as const))(
    "matches the reference CLIP BPE: %j",
    (_name, c) => {
      const encoded = tokenizer.encode(c.prompt);
      expect(encoded.length).toBe(77);
      expect([...encoded]).toEqual(c.ids);
    },
  );

  it("keeps EOS when the prompt is longer than 75 tokens", () => {
    const long = clipCases.cases.find((c) => (c.tokens?.length ?? 0) > 75)!;
    const encoded = tokenizer.encode(long.prompt);
    expect(encoded[0]).toBe(clipCases.bos_id);
    expect([...encoded.subarray(1, 76)]).toEqual(long.tokens!.slice(0, 75));
    expect(encoded[76]).toBe(clipCases.eos_id);
  });

  it("encodes the empty prompt as BOS, EOS, then pads", () => {
    const encoded = tokenizer.encode("");
    expect([...encoded.subarray(0, 2)]).toEqual([clipCases.bos_id, clipCases.eos_id]);
    expect(encoded.subarray(2).every((id) => id === clipCases.sd1_pad_id)).toBe(true);
  });

  it("pads with '!' (id 0) when tokenizer_config says so (SD2 / OpenCLIP)", () => {
    const config = readJson(join(CLIP_DIR, "tokenizer_config.json"));
    const sd2 = loadTokenizer(variant(CLIP_DIR, { "tokenizer_config.json": { ...config, pad_token: "!" } }));
    expect(sd2.padId).toBe(clipCases.sd2_pad_id);
    expect(sd2.padId).toBe(0);
    const c = clipCases.cases[0]!;
    const expected = [clipCases.bos_id, ...c.tokens!, clipCases.eos_id];
    expect([...sd2.encode(c.prompt)]).toEqual([...expected, ...Array(77 - expected.length).fill(0)]);
  });

  it("pads with EOS when no pad token is configured, as CLIPTokenizer does", () => {
    const config = readJson(join(CLIP_DIR, "tokenizer_config.json"));
    delete config.pad_token;
    const dir = variant(CLIP_DIR, { "tokenizer_config.json": config, "special_tokens_map.json": null });
    expect(loadTokenizer(dir).padId).toBe(clipCases.eos_id);
  });

  it("needs a max length: from the config, the option, or an explicit error", () => {
    const config = readJson(join(CLIP_DIR, "tokenizer_config.json"));
    const unset = variant(CLIP_DIR, { "tokenizer_config.json": { ...config, model_max_length: 1e30 } });
    expect(() => loadTokenizer(unset)).toThrow(/model_max_length/);
    const short = loadTokenizer(unset, { maxLength: 8 });
    const encoded = short.encode(clipCases.cases[0]!.prompt);
    expect(encoded.length).toBe(8);
    expect(encoded[7]).toBe(clipCases.eos_id);
  });

  it("explains a folder with only the slow-tokenizer files", () => {
    const dir = variant(CLIP_DIR, { "tokenizer.json": null });
    expect(() => loadTokenizer(dir)).toThrow(/no tokenizer\.json/);
  });
});
