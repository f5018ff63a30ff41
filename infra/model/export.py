"""Export a training checkpoint (EMA weights) to the Optimum Stable Diffusion layout plus
guidegate.json, the manifest the worker and the attribute checker read.

    /usr/bin/python3 infra/model/export.py --ckpt .data/train/ckpt.pt --out models/shapes-32
"""
import argparse, json, os
import torch
from shapes import COLORS, PALETTE, RES, SHAPES, SIZES, eval_set, held_out_triples
from model import MAX_LEN, SPECIALS, TextEncoder, UNet

ap = argparse.ArgumentParser()
ap.add_argument("--ckpt", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--command", default="", help="the training command, recorded in the manifest")
ap.add_argument("--raw", action="store_true", help="export the raw weights instead of the EMA")
args = ap.parse_args()

s = torch.load(args.ckpt)
vocab = s["vocab"]
te, unet = TextEncoder(len(vocab)), UNet()
if "te" in s:  # a full checkpoint; an ema-<step>.pt snapshot holds only the EMA weights
    te.load_state_dict(s["te"]); unet.load_state_dict(s["unet"])
params = list(te.parameters()) + list(unet.parameters())
with torch.no_grad():
    for p, e in zip(params, s["ema"]):
        if not args.raw:
            p.copy_(e)
te.eval(); unet.eval()


def sub(*p):
    d = os.path.join(args.out, *p[:-1])
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, p[-1])


def dump(obj, *p):
    with open(sub(*p), "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


ids = torch.ones(2, MAX_LEN, dtype=torch.long)
torch.onnx.export(te, (ids,), sub("text_encoder", "model.onnx"), input_names=["input_ids"],
                  output_names=["last_hidden_state"], opset_version=17,
                  dynamic_axes={"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}})
x = torch.randn(2, 3, RES, RES)
t = torch.tensor([999.0, 10.0])
ctx = te(ids)
pert = torch.tensor([0.0, 1.0])
torch.onnx.export(unet, (x, t, ctx, pert), sub("unet", "model.onnx"),
                  input_names=["sample", "timestep", "encoder_hidden_states", "perturb"],
                  output_names=["out_sample"], opset_version=17,
                  dynamic_axes={"sample": {0: "batch"}, "timestep": {0: "batch"},
                                "encoder_hidden_states": {0: "batch"}, "perturb": {0: "batch"},
                                "out_sample": {0: "batch"}})

dump({"_class_name": "ORTStableDiffusionPipeline", "_diffusers_version": "0.30.0",
      "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["optimum", "ORTModelTextEncoder"],
      "tokenizer": ["transformers", "PreTrainedTokenizerFast"], "unet": ["optimum", "ORTModelUnet"],
      "vae_decoder": [None, None], "vae_encoder": [None, None], "safety_checker": [None, None],
      "feature_extractor": [None, None]}, "model_index.json")
dump({"_class_name": "DDIMScheduler", "num_train_timesteps": 1000, "beta_schedule": "squaredcos_cap_v2",
      "beta_start": 0.0001, "beta_end": 0.02, "prediction_type": s["args"].get("prediction", "epsilon"), "clip_sample": True,
      "clip_sample_range": 1.0, "set_alpha_to_one": False, "steps_offset": 0, "timestep_spacing": "trailing"},
     "scheduler", "scheduler_config.json")

added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
          "special": True} for i, t in enumerate(SPECIALS)]
dump({"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
      "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "WhitespaceSplit"},
      "post_processor": {"type": "TemplateProcessing",
                         "single": [{"SpecialToken": {"id": "[BOS]", "type_id": 0}},
                                    {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "[EOS]", "type_id": 0}}],
                         "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                         "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ["[BOS]", "[EOS]"]}},
      "decoder": None, "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}},
     "tokenizer", "tokenizer.json")
dump({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": MAX_LEN, "bos_token": "[BOS]",
      "eos_token": "[EOS]", "pad_token": "[PAD]", "unk_token": "[UNK]", "do_lower_case": True},
     "tokenizer", "tokenizer_config.json")

dump({
    "name": os.path.basename(os.path.normpath(args.out)),
    "evaluator": "shapes",  # calibrate measures adherence with eval/'s shapes checker
    "description": "32x32 procedural shapes, pixel-space text-to-image diffusion (guidegate embedded model)",
    "resolution": RES, "space": "pixel", "channels": 3, "value_range": [-1, 1],
    "palette": PALETTE, "colors": COLORS, "shapes": SHAPES, "sizes": SIZES,
    "vocabulary": list(vocab), "max_length": MAX_LEN,
    "prompt_template": "a {size} {color} {shape} on a {background} background",
    "capabilities": {"pag": {"input": "perturb", "layers": ["mid.self_attention"]}},
    "held_out_triples": sorted([list(t) for t in held_out_triples()]),
    "training": {"steps": s["step"], "args": s["args"], "command": args.command,
                 "parameters": {"unet": sum(p.numel() for p in unet.parameters()),
                                "text_encoder": sum(p.numel() for p in te.parameters())}},
    "eval": eval_set(),
}, "guidegate.json")
print("exported step", s["step"], "to", args.out)
