"""Train the shapes model. Seeded and resumable: rerunning the same command continues
from the last checkpoint. Data are rendered on the fly from (seed, step).

    /usr/bin/python3 infra/model/train.py --out .data/train --steps 12000 --max-minutes 110
"""
import argparse, json, os, time
import numpy as np
import torch
import torch.nn.functional as F
from shapes import COLORS, SHAPES, SIZES, held_out_triples, noisy_caption, render, sample_scene
from model import TextEncoder, UNet, build_vocab, tokenize, cosine_alphas_cumprod

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--steps", type=int, default=12000)
ap.add_argument("--max-minutes", type=float, default=1e9)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--dropout", type=float, default=0.15, help="prompt dropout to the empty prompt")
ap.add_argument("--high-noise-weight", type=float, default=1.0,
                help="v loss weight alpha^2 + c*sigma^2: 1 = plain v loss, 0 = the epsilon loss; below 1 the irreducible "
                     "high-noise error stops swamping Adam's step size, so low-noise detail (shape outlines) learns faster")
ap.add_argument("--caption-noise", type=float, default=0.0,
                help="probability that one attribute word of a caption is wrong (shapes.noisy_caption)")
ap.add_argument("--snapshot-every", type=int, default=0, help="also keep the EMA weights of every N-th step")
ap.add_argument("--ckpt-every", type=int, default=250)
ap.add_argument("--ema-decay", type=float, default=0.999)
ap.add_argument("--prediction", choices=["epsilon", "v_prediction"], default="epsilon",
                help="v fixes muddy colours: an epsilon loss hardly sees x0 errors at high noise")
ap.add_argument("--min-snr-gamma", type=float, default=0.0,
                help="Min-SNR loss weight min(SNR, gamma)/SNR (0 = plain MSE): less weight on nearly clean steps")
args = ap.parse_args()

torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "2")))
torch.manual_seed(args.seed)
os.makedirs(args.out, exist_ok=True)
vocab = build_vocab(COLORS, SHAPES, SIZES)
te, unet = TextEncoder(len(vocab)), UNet()
params = list(te.parameters()) + list(unet.parameters())
opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
ema = [p.detach().clone() for p in params]
acp = cosine_alphas_cumprod()
held = held_out_triples()
step = 0
warm_from = 0


def load_matching(module, state):
    """Loads every tensor whose shape still matches; returns the names left at their new init."""
    own = module.state_dict()
    keep = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    module.load_state_dict(keep, strict=False)
    return [k for k in own if k not in keep]
ckpt = os.path.join(args.out, "ckpt.pt")
if os.path.exists(ckpt):
    s = torch.load(ckpt)
    changed = load_matching(te, s["te"]) + load_matching(unet, s["unet"])
    if changed:  # architecture changed: warm-start what still fits, fresh optimizer state
        print(f"warm start: re-initialised {changed}", flush=True)
        ema = [e if e.shape == p.shape else p.detach().clone() for e, p in zip(s["ema"], params)]
        warm_from = s["step"]
    else:
        opt.load_state_dict(s["opt"])
        ema = s["ema"]
        warm_from = s.get("warm_from", 0)
    step = s["step"]
    print(f"resumed at step {step}", flush=True)


def batch(step):
    rng = np.random.default_rng([args.seed, step])
    imgs, ids = [], []
    for _ in range(args.batch):
        sc = sample_scene(rng, exclude=held)
        imgs.append(render(sc["color"], sc["shape"], sc["bg"], sc["size"], sc["cx"], sc["cy"]))
        p = "" if rng.random() < args.dropout else noisy_caption(rng, sc, args.caption_noise)
        ids.append(tokenize(p, vocab))
    x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float() / 127.5 - 1
    return x, torch.tensor(ids)


def save():
    tmp = ckpt + ".tmp"
    torch.save(dict(te=te.state_dict(), unet=unet.state_dict(), opt=opt.state_dict(), ema=ema, step=step, warm_from=warm_from,
                    vocab=vocab, args=vars(args)), tmp)
    os.replace(tmp, ckpt)


t0 = time.time()
log = open(os.path.join(args.out, "train.log"), "a")
losses = []
while step < args.steps and (time.time() - t0) / 60 < args.max_minutes:
    x0, ids = batch(step)
    g = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
    t = torch.randint(0, 1000, (x0.shape[0],), generator=g)
    eps = torch.randn(x0.shape, generator=g)
    a = acp[t].view(-1, 1, 1, 1)
    xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
    pred = unet(xt, t.float(), te(ids), torch.zeros(x0.shape[0]))
    if args.prediction == "v_prediction":
        w = (a + args.high_noise_weight * (1 - a)).view(-1)
        loss = (w * ((pred - (a.sqrt() * eps - (1 - a).sqrt() * x0)) ** 2).mean(dim=(1, 2, 3))).mean()
    elif args.min_snr_gamma > 0:
        snr = (a / (1 - a)).view(-1)
        weight = torch.clamp(snr, max=args.min_snr_gamma) / snr
        loss = (weight * ((pred - eps) ** 2).mean(dim=(1, 2, 3))).mean()
    else:
        loss = F.mse_loss(pred, eps)
    for group in opt.param_groups:
        group["lr"] = args.lr * min(1.0, (step + 1 - warm_from) / 200)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    decay = min(args.ema_decay, (1 + step) / (10 + step))
    with torch.no_grad():
        for e, p in zip(ema, params):
            e.mul_(decay).add_(p.detach(), alpha=1 - decay)
    step += 1
    losses.append(loss.item())
    if step % 50 == 0:
        msg = json.dumps(dict(step=step, loss=round(float(np.mean(losses)), 5), min=round((time.time() - t0) / 60, 2)))
        print(msg, flush=True); log.write(msg + "\n"); log.flush(); losses = []
    if step % args.ckpt_every == 0:
        save()
    if args.snapshot_every and step % args.snapshot_every == 0:
        torch.save(dict(ema=ema, step=step, vocab=vocab, args=vars(args)), os.path.join(args.out, f"ema-{step}.pt"))
save()
print(f"done at step {step}", flush=True)
