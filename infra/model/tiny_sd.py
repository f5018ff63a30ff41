"""Tiny Stable-Diffusion-layout fixtures with random weights and the real SD graph names, for tests.

    /usr/bin/python3 infra/model/tiny_sd.py            # writes test/fixtures/tiny-sd{,-fp16,xl}/ and the tokenizer cases

tiny-sd/       the old diffusers-script flavour: input_ids int32, timestep int64 [batch], fp32 UNet.
tiny-sd-fp16/  the newest-Optimum flavour: input_ids int64, scalar float32 timestep, UNet with float16
               sample / encoder_hidden_states / out_sample (fp32 arithmetic inside: ORT's CPU EP has
               few fp16 kernels, and only the interface matters to the worker).
tiny-sdxl/     the SDXL Optimum layout: two tokenizers (tokenizer_2 pads with "!" like SDXL's bigG one), a
               CLIPTextModel-like and a CLIPTextModelWithProjection-like encoder exporting hidden_states.0..N,
               and a UNet that also reads text_embeds [B,P] and time_ids [B,6] (SDXL's added conditioning).
Both share a tiny CLIP-format tokenizer (byte-level BPE with "</w>", BOS/EOS ids last, as in
openai/clip-vit-large-patch14) whose merges are learnt here from a small word list.
test/fixtures/tiny-clip-tokenizer-cases.json holds ids from a reference CLIP BPE (OpenAI's
simple_tokenizer algorithm) so the TypeScript tokenizer is checked against an independent implementation.
"""
import json, math, os, re, shutil
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "test", "fixtures")
MAX_LENGTH = 77
HIDDEN = 32
LATENT = 8  # latent side; the decoder upsamples by 8 to 64x64
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
# CLIP's pre-tokenizer regex; the Python reference below uses an `re` equivalent (no `regex` module here).
CLIP_SPLIT = r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
RE_SPLIT = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+",
                      re.IGNORECASE)
CORPUS = ("a photo of the red green blue yellow purple orange white black circle square triangle cross "
          "on background large small painting cat dog with and in it's") .split()
N_MERGES = 120


# ---------------------------------------------------------------- tokenizer
def bytes_to_unicode():
    """CLIP/GPT-2 byte -> printable unicode character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_CHARS = bytes_to_unicode()


def word_symbols(word):
    chars = [BYTE_CHARS[b] for b in word.encode("utf-8")]
    return chars[:-1] + [chars[-1] + "</w>"]


def learn_merges(words, n_merges):
    """Greedy BPE training; ties go to the lexicographically smallest pair so the output is deterministic."""
    seqs = [word_symbols(w) for w in words]
    merges = []
    for _ in range(n_merges):
        counts = {}
        for s in seqs:
            for pair in zip(s, s[1:]):
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        merged = []
        for s in seqs:
            out, i = [], 0
            while i < len(s):
                if i < len(s) - 1 and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            merged.append(out)
        seqs = merged
    return merges


def build_vocab(merges):
    """CLIP order: 256 byte chars, the same with </w>, merge results, then BOS and EOS last."""
    chars = list(BYTE_CHARS.values())
    entries = chars + [c + "</w>" for c in chars] + ["".join(m) for m in merges] + [BOS, EOS]
    vocab = {}
    for token in entries:
        vocab.setdefault(token, len(vocab))
    return vocab


def reference_bpe(token, ranks):
    """OpenAI CLIP simple_tokenizer.bpe."""
    word = tuple(token[:-1]) + (token[-1] + "</w>",)
    pairs = set(zip(word, word[1:]))
    if not pairs:
        return [token + "</w>"]
    while True:
        bigram = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if bigram not in ranks:
            break
        first, second = bigram
        new_word, i = [], 0
        while i < len(word):
            try:
                j = word.index(first, i)
            except ValueError:
                new_word.extend(word[i:])
                break
            new_word.extend(word[i:j])
            i = j
            if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                new_word.append(first + second)
                i += 2
            else:
                new_word.append(word[i])
                i += 1
        word = tuple(new_word)
        if len(word) == 1:
            break
        pairs = set(zip(word, word[1:]))
    return list(word)


def reference_encode(text, vocab, ranks):
    """Token ids without BOS/EOS, as CLIPTokenizer would give (ASCII-safe `re` version of CLIP's regex)."""
    text = re.sub(r"\s+", " ", text).strip().lower()
    ids = []
    for piece in RE_SPLIT.findall(text):
        if piece in (BOS, EOS):
            ids.append(vocab[piece])
            continue
        token = "".join(BYTE_CHARS[b] for b in piece.encode("utf-8"))
        ids.extend(vocab[t] for t in reference_bpe(token, ranks))
    return ids


def with_specials(ids, pad_id, bos_id, eos_id):
    ids = [bos_id] + ids[: MAX_LENGTH - 2] + [eos_id]
    return ids + [pad_id] * (MAX_LENGTH - len(ids))


def added_token(id_, content):
    return dict(id=id_, content=content, single_word=False, lstrip=False, rstrip=False, normalized=True, special=True)


def tokenizer_json(vocab, merges):
    """Same component structure as openai/clip-vit-large-patch14's tokenizer.json."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added_token(vocab[BOS], BOS), added_token(vocab[EOS], EOS)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": CLIP_SPLIT}, "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "RobertaProcessing", "sep": [EOS, vocab[EOS]], "cls": [BOS, vocab[BOS]],
                           "trim_offsets": False, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": EOS, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [" ".join(m) for m in merges]},
    }


def special(content):
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True, "rstrip": False,
            "single_word": False}


def write_json(path, obj, indent=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=indent, ensure_ascii=False)
        f.write("\n")


def write_tokenizer(folder, vocab, merges, pad=EOS, name="guidegate/tiny-sd"):
    """SD1.x files: pad is <|endoftext|>, model_max_length 77, plus the slow-tokenizer vocab.json/merges.txt.
    SDXL's tokenizer_2 is the same files with pad "!"."""
    write_json(os.path.join(folder, "tokenizer.json"), tokenizer_json(vocab, merges))
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "add_prefix_space": False, "bos_token": special(BOS), "do_lower_case": True, "eos_token": special(EOS),
        "errors": "replace", "model_max_length": MAX_LENGTH, "name_or_path": name,
        "pad_token": pad, "tokenizer_class": "CLIPTokenizer", "unk_token": special(EOS)}, indent=2)
    write_json(os.path.join(folder, "special_tokens_map.json"), {
        "bos_token": special(BOS), "eos_token": special(EOS), "pad_token": pad, "unk_token": special(EOS)}, indent=2)
    write_json(os.path.join(folder, "vocab.json"), vocab)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(" ".join(m) + "\n" for m in merges))


TOKENIZER_PROMPTS = [
    "a photo of a red circle",
    "A Large RED Circle on a BLUE background!!",
    "it's the dog's painting",
    "123 cats and 4 dogs",
    "  spaced   out\ttabs\nand newlines ",
    "café crème",
    "",
    "zzyzx qwv unknownish words",
    "a red square <|endoftext|> leftover",
    " ".join(["painting"] * 100),
    " ".join(f"cat{i}" for i in range(60)),
]


def tokenizer_cases(vocab, merges):
    ranks = {m: i for i, m in enumerate(merges)}
    cases = []
    for prompt in TOKENIZER_PROMPTS:
        tokens = reference_encode(prompt, vocab, ranks)
        cases.append(dict(prompt=prompt, tokens=tokens,
                          ids=with_specials(tokens, vocab[EOS], vocab[BOS], vocab[EOS])))
    return dict(generator="infra/model/tiny_sd.py", max_length=MAX_LENGTH, bos_id=vocab[BOS], eos_id=vocab[EOS],
                sd1_pad_id=vocab[EOS], sd2_pad_id=vocab["!"], cases=cases)


# ---------------------------------------------------------------- graphs
def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float().reshape(-1)[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class TinyTextEncoder(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, HIDDEN)
        self.pos = nn.Parameter(torch.randn(MAX_LENGTH, HIDDEN) * 0.1)
        self.mix = nn.Linear(HIDDEN, HIDDEN)
        self.ln = nn.LayerNorm(HIDDEN)

    def forward(self, input_ids):
        ids = input_ids.long()
        h = self.tok(ids) + self.pos[: ids.shape[1]]
        h = self.ln(h + torch.tanh(self.mix(h)))
        # CLIP pools at the EOS token, which has the largest id in the vocabulary.
        at_eos = ids.argmax(dim=-1)[:, None, None].expand(-1, 1, HIDDEN)
        return h, h.gather(1, at_eos).squeeze(1)


class TinyUNet(nn.Module):
    def __init__(self, ch=16, tdim=32):
        super().__init__()
        self.tdim = tdim
        self.conv_in = nn.Conv2d(4, ch, 3, padding=1)
        self.time = nn.Linear(tdim, ch)
        self.context = nn.Linear(HIDDEN, ch)
        self.mid = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv_out = nn.Conv2d(ch, 4, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        # A [1]-shaped timestep embedding broadcasts over the batch, as scalar-timestep exports need.
        temb = self.time(timestep_embedding(timestep, self.tdim))[:, :, None, None]
        ctx = self.context(encoder_hidden_states.mean(dim=1))[:, :, None, None]
        h = F.silu(self.conv_in(sample) + temb + ctx)
        return self.conv_out(F.silu(self.mid(h)))


class HalfInterfaceUNet(nn.Module):
    """float16 sample/context/output around fp32 arithmetic."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample.float(), timestep, encoder_hidden_states.float()).half()


class TinyVaeDecoder(nn.Module):
    def __init__(self, ch=8):
        super().__init__()
        self.conv_in = nn.Conv2d(4, ch, 3, padding=1)
        self.conv_out = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = F.silu(self.conv_in(latent_sample))
        h = F.interpolate(h, scale_factor=8.0, mode="nearest")
        return torch.tanh(self.conv_out(h))


# ---------------------------------------------------------------- SDXL graphs
XL_WIDTHS = (32, 48)  # text_encoder, text_encoder_2 hidden sizes (SDXL: 768, 1280)
XL_PROJECTION = 40  # text_encoder_2's text_embeds size (SDXL: 1280)
XL_LAYERS = 2
XL_TIME_ID_DIM = 8  # per time_ids value (SDXL's addition_time_embed_dim: 256)


class TinyClipText(nn.Module):
    """CLIP text-model shape: embeddings, residual layers, final LayerNorm, pooling at EOS, and every
    layer's input/output as hidden_states.0..N (transformers' output_hidden_states; .0 = embeddings).
    With `projection`, the CLIPTextModelWithProjection outputs (text_embeds first)."""

    def __init__(self, vocab_size, width, layers, projection=None):
        super().__init__()
        self.width = width
        self.tok = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(MAX_LENGTH, width) * 0.1)
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(layers))
        self.final_ln = nn.LayerNorm(width)
        self.proj = nn.Linear(width, projection, bias=False) if projection else None

    def forward(self, input_ids):
        ids = input_ids.long()
        h = self.tok(ids) + self.pos[: ids.shape[1]]
        hidden = [h]
        steps = torch.arange(1, ids.shape[1] + 1, dtype=h.dtype)[None, :, None]
        for layer in self.layers:
            # A causal running mean stands in for CLIP's causal attention: the EOS token sees the whole prompt.
            h = h + torch.tanh(layer(h.cumsum(dim=1) / steps))
            hidden.append(h)
        last = self.final_ln(h)
        at_eos = ids.argmax(dim=-1)[:, None, None].expand(-1, 1, self.width)
        pooled = last.gather(1, at_eos).squeeze(1)
        if self.proj is None:
            return (last, pooled, *hidden)
        return (self.proj(pooled), last, *hidden)


class TinyUNetXL(nn.Module):
    """TinyUNet plus SDXL's "text_time" added conditioning: sinusoidal embeddings of the six time_ids,
    concatenated with text_embeds, go through an MLP into the timestep embedding."""

    def __init__(self, ch=16, tdim=32):
        super().__init__()
        self.tdim = tdim
        self.conv_in = nn.Conv2d(4, ch, 3, padding=1)
        self.time = nn.Linear(tdim, ch)
        self.add = nn.Sequential(nn.Linear(6 * XL_TIME_ID_DIM + XL_PROJECTION, ch), nn.SiLU(), nn.Linear(ch, ch))
        self.context = nn.Linear(sum(XL_WIDTHS), ch)
        self.mid = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv_out = nn.Conv2d(ch, 4, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds, time_ids):
        ids = timestep_embedding(time_ids.reshape(-1), XL_TIME_ID_DIM).reshape(time_ids.shape[0], -1)
        temb = self.time(timestep_embedding(timestep, self.tdim)) + self.add(torch.cat([text_embeds, ids], dim=1))
        ctx = self.context(encoder_hidden_states.mean(dim=1))
        h = F.silu(self.conv_in(sample) + (temb + ctx)[:, :, None, None])
        return self.conv_out(F.silu(self.mid(h)))


def export(model, args, path, inputs, outputs, axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(model, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                      opset_version=17, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))


def write_configs(folder, vocab_size, unet_dtype):
    write_json(os.path.join(folder, "model_index.json"), {
        "_class_name": "ORTStableDiffusionPipeline", "_diffusers_version": "0.29.2",
        "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"], "vae_encoder": [None, None]}, indent=2)
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), {
        "_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False, "num_train_timesteps": 1000,
        "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None}, indent=2)
    write_json(os.path.join(folder, "text_encoder", "config.json"), {
        "_name_or_path": "guidegate/tiny-sd", "architectures": ["CLIPTextModel"], "model_type": "clip_text_model",
        "hidden_size": HIDDEN, "max_position_embeddings": MAX_LENGTH, "vocab_size": vocab_size,
        "bos_token_id": vocab_size - 2, "eos_token_id": vocab_size - 1, "pad_token_id": 1}, indent=2)
    write_json(os.path.join(folder, "unet", "config.json"), {
        "_class_name": "UNet2DConditionModel", "in_channels": 4, "out_channels": 4, "sample_size": LATENT,
        "cross_attention_dim": HIDDEN, "torch_dtype": unet_dtype}, indent=2)
    write_json(os.path.join(folder, "vae_decoder", "config.json"), {
        "_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3, "latent_channels": 4,
        "sample_size": LATENT * 8, "scaling_factor": 0.18215}, indent=2)


def build(folder, vocab, merges, fp16):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    torch.manual_seed(20261128 + int(fp16))
    write_configs(folder, len(vocab), "float16" if fp16 else "float32")
    write_tokenizer(os.path.join(folder, "tokenizer"), vocab, merges)

    ids = torch.full((2, MAX_LENGTH), vocab[EOS], dtype=torch.int64 if fp16 else torch.int32)
    ids[:, 0] = vocab[BOS]
    export(TinyTextEncoder(len(vocab)).eval(), (ids,), os.path.join(folder, "text_encoder", "model.onnx"),
           ["input_ids"], ["last_hidden_state", "pooler_output"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "last_hidden_state": {0: "batch_size", 1: "sequence_length"}, "pooler_output": {0: "batch_size"}})

    unet = TinyUNet().eval()
    sample = torch.randn(2, 4, LATENT, LATENT)
    context = torch.randn(2, MAX_LENGTH, HIDDEN)
    unet_path = os.path.join(folder, "unet", "model.onnx")
    if fp16:  # newest Optimum: scalar float timestep, Optimum axis names
        export(HalfInterfaceUNet(unet), (sample.half(), torch.tensor(981.0), context.half()), unet_path,
               ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
               {"sample": {0: "batch_size", 2: "height", 3: "width"},
                "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
                "out_sample": {0: "batch_size", 2: "height", 3: "width"}})
    else:  # old diffusers script: int64 timestep per sample
        export(unet, (sample, torch.tensor([981, 961]), context), unet_path,
               ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
               {"sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                "encoder_hidden_states": {0: "batch", 1: "sequence"},
                "out_sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}})

    export_vae_decoder(folder)


def export_vae_decoder(folder):
    """The shared tiny VAE decoder, then the folder's size (fixtures must stay small)."""
    export(TinyVaeDecoder().eval(), (torch.randn(1, 4, LATENT, LATENT),),
           os.path.join(folder, "vae_decoder", "model.onnx"), ["latent_sample"], ["sample"],
           {"latent_sample": {0: "batch", 2: "height", 3: "width"},
            "sample": {0: "batch", 2: "image_height", 3: "image_width"}})
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)
    print(f"wrote {folder} ({total / 1024:.0f} KiB)")


def write_xl_configs(folder, vocab_size):
    """stabilityai/stable-diffusion-xl-base-1.0's configs, shrunk."""
    write_json(os.path.join(folder, "model_index.json"), {
        "_class_name": "StableDiffusionXLPipeline", "_diffusers_version": "0.29.2",
        "feature_extractor": [None, None], "force_zeros_for_empty_prompt": True, "image_encoder": [None, None],
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"], "vae_decoder": ["diffusers", "AutoencoderKL"]}, indent=2)
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), {
        "_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.19.0.dev0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
        "interpolation_type": "linear", "num_train_timesteps": 1000, "prediction_type": "epsilon",
        "sample_max_value": 1.0, "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1,
        "timestep_spacing": "leading", "trained_betas": None, "use_karras_sigmas": False}, indent=2)
    for sub, arch, width, extra in [
        ("text_encoder", "CLIPTextModel", XL_WIDTHS[0], {}),
        ("text_encoder_2", "CLIPTextModelWithProjection", XL_WIDTHS[1], {"projection_dim": XL_PROJECTION}),
    ]:
        write_json(os.path.join(folder, sub, "config.json"), {
            "_name_or_path": "guidegate/tiny-sdxl", "architectures": [arch], "model_type": "clip_text_model",
            "hidden_size": width, "num_hidden_layers": XL_LAYERS, "max_position_embeddings": MAX_LENGTH,
            "vocab_size": vocab_size, "bos_token_id": vocab_size - 2, "eos_token_id": vocab_size - 1,
            "pad_token_id": 1, **extra}, indent=2)
    write_json(os.path.join(folder, "unet", "config.json"), {
        "_class_name": "UNet2DConditionModel", "in_channels": 4, "out_channels": 4, "sample_size": LATENT,
        "cross_attention_dim": sum(XL_WIDTHS), "addition_embed_type": "text_time",
        "addition_time_embed_dim": XL_TIME_ID_DIM,
        "projection_class_embeddings_input_dim": 6 * XL_TIME_ID_DIM + XL_PROJECTION, "torch_dtype": "float32"},
        indent=2)
    write_json(os.path.join(folder, "vae_decoder", "config.json"), {
        "_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3, "latent_channels": 4,
        "sample_size": LATENT * 8, "scaling_factor": 0.13025}, indent=2)


def build_xl(folder, vocab, merges):
    """Encoder 1 takes int32 ids and encoder 2 int64, and the UNet a float [B] timestep, so the loader
    has to read each interface from its own session."""
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    torch.manual_seed(20261130)
    write_xl_configs(folder, len(vocab))
    write_tokenizer(os.path.join(folder, "tokenizer"), vocab, merges, name="guidegate/tiny-sdxl")
    write_tokenizer(os.path.join(folder, "tokenizer_2"), vocab, merges, pad="!", name="guidegate/tiny-sdxl")

    hidden_names = [f"hidden_states.{i}" for i in range(XL_LAYERS + 1)]
    batch_axes = {name: {0: "batch_size", 1: "sequence_length"} for name in ["last_hidden_state", *hidden_names]}
    for sub, width, projection, dtype, outputs in [
        ("text_encoder", XL_WIDTHS[0], None, torch.int32, ["last_hidden_state", "pooler_output"]),
        ("text_encoder_2", XL_WIDTHS[1], XL_PROJECTION, torch.int64, ["text_embeds", "last_hidden_state"]),
    ]:
        ids = torch.full((2, MAX_LENGTH), vocab[EOS], dtype=dtype)
        ids[:, 0] = vocab[BOS]
        export(TinyClipText(len(vocab), width, XL_LAYERS, projection).eval(), (ids,),
               os.path.join(folder, sub, "model.onnx"), ["input_ids"], outputs + hidden_names,
               {"input_ids": {0: "batch_size", 1: "sequence_length"}, **{o: {0: "batch_size"} for o in outputs},
                **batch_axes})

    export(TinyUNetXL().eval(),
           (torch.randn(2, 4, LATENT, LATENT), torch.tensor([981.0, 961.0]),
            torch.randn(2, MAX_LENGTH, sum(XL_WIDTHS)), torch.randn(2, XL_PROJECTION),
            torch.tensor([[64.0, 64.0, 0.0, 0.0, 64.0, 64.0]] * 2)),
           os.path.join(folder, "unet", "model.onnx"),
           ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"], ["out_sample"],
           {"sample": {0: "batch_size", 2: "height", 3: "width"}, "timestep": {0: "steps"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"},
            "time_ids": {0: "batch_size"}, "out_sample": {0: "batch_size", 2: "height", 3: "width"}})

    export_vae_decoder(folder)


def main():
    torch.set_num_threads(1)  # the machine is shared with training
    merges = learn_merges(CORPUS, N_MERGES)
    vocab = build_vocab(merges)
    build(os.path.join(FIXTURES, "tiny-sd"), vocab, merges, fp16=False)
    build(os.path.join(FIXTURES, "tiny-sd-fp16"), vocab, merges, fp16=True)
    build_xl(os.path.join(FIXTURES, "tiny-sdxl"), vocab, merges)
    write_json(os.path.join(FIXTURES, "tiny-clip-tokenizer-cases.json"), tokenizer_cases(vocab, merges))
    print(f"vocab {len(vocab)} (BOS {vocab[BOS]}, EOS {vocab[EOS]}), {len(merges)} merges")


if __name__ == "__main__":
    main()
