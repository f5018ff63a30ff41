// One prompt tokenizer for every model folder: tokenizer.json runs through @huggingface/tokenizers, and the
// id layout (BOS, words truncated to maxLength-2, EOS, right padding) is applied here, not by the library.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

export interface PromptTokenizer {
  /** Length of every encoded prompt (77 for CLIP, 16 for the shapes model). */
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** Exactly `maxLength` ids: [BOS, …at most maxLength-2 tokens…, EOS, PAD…]. */
  encode(prompt: string): Int32Array;
}

export interface LoadTokenizerOptions {
  /** Overrides model_max_length from tokenizer_config.json. */
  maxLength?: number;
}

type JsonObject = Record<string, unknown>;

// Tried in order when tokenizer_config.json does not name the token: CLIP's, then the shapes model's, then common ones.
const BOS_CANDIDATES = ["<|startoftext|>", "[BOS]", "<s>"];
const EOS_CANDIDATES = ["<|endoftext|>", "[EOS]", "</s>"];
const PAD_CANDIDATES = ["[PAD]", "<pad>"];
// transformers saves int(1e30) as model_max_length when the model sets none.
const UNSET_MAX_LENGTH = 1e29;

function readJsonObject(path: string): JsonObject {
  const value: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error(`${path} is not a JSON object`);
  return value as JsonObject;
}

function readOptionalJsonObject(path: string): JsonObject {
  return existsSync(path) ? readJsonObject(path) : {};
}

/** Special tokens appear as plain strings or as AddedToken objects ({content, lstrip, ...}). */
function tokenText(spec: unknown): string | undefined {
  if (typeof spec === "string") return spec;
  if (spec && typeof spec === "object" && typeof (spec as JsonObject).content === "string") {
    return (spec as JsonObject).content as string;
  }
  return undefined;
}

function maxLengthFrom(config: JsonObject, tokenizerJson: JsonObject, dir: string): number {
  const configured = config.model_max_length;
  if (typeof configured === "number" && configured >= 2 && configured < UNSET_MAX_LENGTH) return configured;
  const truncation = tokenizerJson.truncation as JsonObject | null | undefined;
  if (typeof truncation?.max_length === "number" && truncation.max_length >= 2) return truncation.max_length;
  throw new Error(`${dir}: no model_max_length in tokenizer_config.json and no truncation in tokenizer.json`);
}

export function loadTokenizer(dir: string, options: LoadTokenizerOptions = {}): PromptTokenizer {
  const tokenizerPath = join(dir, "tokenizer.json");
  if (!existsSync(tokenizerPath)) {
    // Diffusers/Optimum SD folders often ship only vocab.json + merges.txt; packaging must add tokenizer.json.
    throw new Error(`${dir}: no tokenizer.json (generate it when packaging the model from vocab.json/merges.txt)`);
  }
  const tokenizerJson = readJsonObject(tokenizerPath);
  // tokenizer_config.json wins over special_tokens_map.json, as in transformers.
  const config = {
    ...readOptionalJsonObject(join(dir, "special_tokens_map.json")),
    ...readOptionalJsonObject(join(dir, "tokenizer_config.json")),
  };
  const named = (key: string) => tokenText(config[key]);
  const model = (tokenizerJson.model ?? {}) as JsonObject;
  const unkToken = named("unk_token") ?? tokenText(model.unk_token);
  // The library's word-level model takes its unknown-word id from the config, so hand it plain strings.
  const tokenizer = new Tokenizer(tokenizerJson, {
    ...config,
    bos_token: named("bos_token"),
    eos_token: named("eos_token"),
    pad_token: named("pad_token"),
    unk_token: unkToken,
  });

  const idOf = (what: string, configured: string | undefined, candidates: readonly string[]): number | undefined => {
    if (configured !== undefined) {
      const id = tokenizer.token_to_id(configured);
      if (id === undefined) throw new Error(`${dir}: ${what} token "${configured}" is not in the vocabulary`);
      return id;
    }
    for (const candidate of candidates) {
      const id = tokenizer.token_to_id(candidate);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const bosId = idOf("BOS", named("bos_token"), BOS_CANDIDATES);
  const eosId = idOf("EOS", named("eos_token"), EOS_CANDIDATES);
  if (bosId === undefined || eosId === undefined) throw new Error(`${dir}: cannot find the BOS and EOS tokens`);
  // CLIPTokenizer pads with EOS when no pad token is configured.
  const padId = idOf("pad", named("pad_token"), PAD_CANDIDATES) ?? eosId;
  const unkId = unkToken === undefined ? undefined : tokenizer.token_to_id(unkToken);
  const maxLength = options.maxLength ?? maxLengthFrom(config, tokenizerJson, dir);

  return {
    maxLength,
    bosId,
    eosId,
    padId,
    encode(prompt: string): Int32Array {
      const ids: (number | undefined)[] = tokenizer.encode(prompt, { add_special_tokens: false }).ids;
      const kept = Math.min(ids.length, maxLength - 2);
      const out = new Int32Array(maxLength).fill(padId);
      out[0] = bosId;
      for (let i = 0; i < kept; i++) {
        const id = ids[i] ?? unkId;
        if (id === undefined) throw new Error(`${dir}: prompt has a token outside the vocabulary and no unk token`);
        out[1 + i] = id;
      }
      // EOS survives truncation, unlike transformers.js's max_length truncation.
      out[1 + kept] = eosId;
      return out;
    },
  };
}
