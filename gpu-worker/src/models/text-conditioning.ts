// Prompt conditioning: every text encoder's per-token features side by side (SDXL concatenates its
// two), SDXL's pooled embedding, and a least-recently-used cache, since every step of a job reuses
// its prompts and concurrent jobs often share the empty one.
import { type SessionRunner, toFloat32 } from "../onnx/tensors.ts";
import type { TextEncoderSpec } from "./graph-spec.ts";

/** A prompt's conditioning: encoder_hidden_states [seq*dim] and, for SDXL, text_embeds [P]. */
export interface TextEmbedding {
  context: Float32Array;
  pooled: Float32Array | null;
}

/** What the conditioning must fit: the UNet's context [seq, dim] and pooled size. */
export interface ConditioningSpec {
  encoders: TextEncoderSpec[];
  contextShape: [number, number];
  pooledSize: number | null;
  /** diffusers' SDXL force_zeros_for_empty_prompt: an empty negative prompt conditions on zeros. */
  zeroEmptyNegative: boolean;
}

/** One text encoder's outputs for a list of prompts. */
interface EncoderRun {
  hidden: Float32Array;
  width: number;
  pooled: Float32Array | null;
  pooledSize: number;
}

const CACHE_SIZE = 256;

export class TextConditioner {
  private cache = new Map<string, TextEmbedding>();

  constructor(
    private readonly rt: SessionRunner,
    private readonly spec: ConditioningSpec,
  ) {}

  /** Conditioning per prompt; cached, since every step of a job reuses it. */
  async encodePrompts(prompts: string[]): Promise<TextEmbedding[]> {
    // Hits are taken before the await: concurrent encodes may evict them from the cache meanwhile.
    const found = new Map<string, TextEmbedding>();
    for (const p of prompts) {
      const hit = this.cache.get(p);
      if (hit) found.set(p, this.remember(p, hit));
    }
    const missing = [...new Set(prompts.filter((p) => !found.has(p)))];
    if (missing.length > 0) {
      const runs = await Promise.all(this.spec.encoders.map((e) => this.runEncoder(e, missing)));
      for (const [i, p] of missing.entries()) found.set(p, this.remember(p, this.joinEncoders(runs, i)));
    }
    return prompts.map((p) => found.get(p)!);
  }

  /** A job's cond and uncond conditioning; SDXL zeroes an empty negative prompt's instead of encoding "". */
  async encodeConditioning(prompt: string, negative = ""): Promise<{ cond: TextEmbedding; uncond: TextEmbedding }> {
    const { contextShape, pooledSize } = this.spec;
    if (negative === "" && this.spec.zeroEmptyNegative) {
      const [cond] = await this.encodePrompts([prompt]);
      const pooled = pooledSize === null ? null : new Float32Array(pooledSize);
      return { cond: cond!, uncond: { context: new Float32Array(contextShape[0] * contextShape[1]), pooled } };
    }
    const [cond, uncond] = await this.encodePrompts([prompt, negative]);
    return { cond: cond!, uncond: uncond! };
  }

  private async runEncoder(e: TextEncoderSpec, prompts: string[]): Promise<EncoderRun> {
    const L = e.tokenizer.maxLength;
    const flat = new Int32Array(prompts.length * L);
    for (const [i, p] of prompts.entries()) flat.set(e.tokenizer.encode(p), i * L);
    const data = e.ids.type === "int64" ? BigInt64Array.from(flat, (v) => BigInt(v)) : flat;
    const { outputs } = await this.rt.run(e.key, {
      [e.ids.name]: { type: e.ids.type, data, dims: [prompts.length, L] },
    });
    const hidden = toFloat32(outputs[e.hidden]!);
    const pooled = e.pooled ? toFloat32(outputs[e.pooled]!) : null;
    return {
      hidden,
      width: hidden.length / (prompts.length * L),
      pooled,
      pooledSize: pooled ? pooled.length / prompts.length : 0,
    };
  }

  /** Prompt i's per-token features of every encoder side by side (SDXL concatenates its two encoders'). */
  private joinEncoders(runs: EncoderRun[], i: number): TextEmbedding {
    const [seq, dim] = this.spec.contextShape;
    const total = runs.reduce((s, r) => s + r.width, 0);
    if (total !== dim) throw new Error(`text encoders give ${total} features per token, the unet takes ${dim}`);
    const context = new Float32Array(seq * dim);
    let offset = 0;
    for (const r of runs) {
      for (let s = 0; s < seq; s++)
        context.set(r.hidden.subarray((i * seq + s) * r.width, (i * seq + s + 1) * r.width), s * dim + offset);
      offset += r.width;
    }
    const p = runs.find((r) => r.pooled);
    const pooled = p ? p.pooled!.slice(i * p.pooledSize, (i + 1) * p.pooledSize) : null;
    const { pooledSize } = this.spec;
    if (pooledSize !== null && pooled?.length !== pooledSize) {
      throw new Error(`text_embeds: the encoder gives ${pooled?.length ?? 0} values, the unet takes ${pooledSize}`);
    }
    return { context, pooled };
  }

  /** Least-recently-used cache of 256 prompts (re-inserting moves a hit to the back). */
  private remember(prompt: string, emb: TextEmbedding): TextEmbedding {
    this.cache.delete(prompt);
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(prompt, emb);
    return emb;
  }
}
