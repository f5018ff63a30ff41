"""Tiny text-to-image diffusion model: word-level text encoder + pixel-space UNet.

The UNet consumes the text through cross-attention at 8x8 (plus a projection of the whole prompt sequence in
the time embedding, like SDXL's pooled text embedding) and has one mid-block self-attention
whose attention map is replaced by the identity for samples flagged by `perturb`
(perturbed-attention guidance), so perturbed and normal samples share one batch.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

SPECIALS = ["[PAD]", "[BOS]", "[EOS]", "[UNK]"]
MAX_LEN = 16


def build_vocab(colors, shapes, sizes):
    words = ["a", "on", "background"] + list(sizes) + list(colors) + list(shapes)
    return {w: i for i, w in enumerate(SPECIALS + words)}


def tokenize(prompt, vocab):
    ids = [vocab["[BOS]"]] + [vocab.get(w, vocab["[UNK]"]) for w in prompt.lower().split()]
    ids = ids[: MAX_LEN - 1] + [vocab["[EOS]"]]
    return ids + [vocab["[PAD]"]] * (MAX_LEN - len(ids))


class MHA(nn.Module):
    """Multi-head attention written out so the ONNX export is plain MatMul/Softmax."""

    def __init__(self, dim, ctx_dim=None, heads=4):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(ctx_dim or dim, dim)
        self.v = nn.Linear(ctx_dim or dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, ctx=None, perturb=None):
        ctx = x if ctx is None else ctx
        B, N, C = x.shape
        M = ctx.shape[1]
        h = self.heads
        q = self.q(x).reshape(B, N, h, C // h).transpose(1, 2)
        k = self.k(ctx).reshape(B, M, h, C // h).transpose(1, 2)
        v = self.v(ctx).reshape(B, M, h, C // h).transpose(1, 2)
        attn = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(C // h), dim=-1)
        if perturb is not None:  # PAG: identity attention map where perturb = 1
            p = perturb.reshape(B, 1, 1, 1)
            attn = attn * (1 - p) + torch.eye(N, dtype=attn.dtype, device=attn.device) * p
        o = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.out(o)


class TextBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = MHA(dim, heads=heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, dim=64, layers=2, heads=4):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Parameter(torch.randn(1, MAX_LEN, dim) * 0.02)
        self.blocks = nn.ModuleList([TextBlock(dim, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)

    def forward(self, input_ids):
        h = self.tok(input_ids.long()) + self.pos
        for b in self.blocks:
            h = b(h)
        return self.ln(h)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.n1 = nn.GroupNorm(8, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(tdim, 2 * cout)
        self.n2 = nn.GroupNorm(8, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.c1(F.silu(self.n1(x)))
        s, b = self.t(temb)[:, :, None, None].chunk(2, dim=1)
        h = self.n2(h) * (1 + s) + b
        h = self.c2(F.silu(h))
        return h + self.skip(x)


class SpatialAttn(nn.Module):
    def __init__(self, ch, ctx_dim=None, heads=4):
        super().__init__()
        self.norm = nn.GroupNorm(8, ch)
        self.attn = MHA(ch, ctx_dim, heads)

    def forward(self, x, ctx=None, perturb=None):
        B, C, H, W = x.shape
        h = self.norm(x).reshape(B, C, H * W).transpose(1, 2)
        o = self.attn(h, ctx, perturb).transpose(1, 2).reshape(B, C, H, W)
        return x + o


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class UNet(nn.Module):
    def __init__(self, ctx_dim=64, ch=(32, 64, 128), tdim=128, max_len=MAX_LEN):
        super().__init__()
        c0, c1, c2 = ch
        self.tdim = tdim
        self.temb = nn.Sequential(nn.Linear(64, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        # The whole prompt, position by position, into the time embedding: a mean would lose which
        # colour word is the shape's and which the background's (the first run swapped them).
        self.pool = nn.Linear(ctx_dim * max_len, tdim)
        self.conv_in = nn.Conv2d(3, c0, 3, padding=1)
        self.d0 = ResBlock(c0, c0, tdim)
        self.down0 = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.d1 = ResBlock(c0, c1, tdim)
        self.down1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.d2 = ResBlock(c1, c2, tdim)
        self.d2x = SpatialAttn(c2, ctx_dim)
        self.m1 = ResBlock(c2, c2, tdim)
        self.mself = SpatialAttn(c2)  # the PAG layer
        self.mx = SpatialAttn(c2, ctx_dim)
        self.m2 = ResBlock(c2, c2, tdim)
        self.u2 = ResBlock(2 * c2, c2, tdim)
        self.u2x = SpatialAttn(c2, ctx_dim)
        self.up2 = nn.Conv2d(c2, c1, 3, padding=1)
        self.u1 = ResBlock(2 * c1, c1, tdim)
        self.up1 = nn.Conv2d(c1, c0, 3, padding=1)
        self.u0 = ResBlock(2 * c0, c0, tdim)
        self.n_out = nn.GroupNorm(8, c0)
        self.conv_out = nn.Conv2d(c0, 3, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, perturb):
        ctx = encoder_hidden_states
        temb = self.temb(timestep_embedding(timestep, 64)) + self.pool(ctx.flatten(1))
        h = self.conv_in(sample)
        s0 = self.d0(h, temb)
        h = self.down0(s0)
        s1 = self.d1(h, temb)
        h = self.down1(s1)
        s2 = self.d2x(self.d2(h, temb), ctx)
        h = self.m1(s2, temb)
        h = self.mself(h, None, perturb)
        h = self.mx(h, ctx)
        h = self.m2(h, temb)
        h = self.u2x(self.u2(torch.cat([h, s2], 1), temb), ctx)
        h = self.up2(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.u1(torch.cat([h, s1], 1), temb)
        h = self.up1(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.u0(torch.cat([h, s0], 1), temb)
        return self.conv_out(F.silu(self.n_out(h)))


def cosine_alphas_cumprod(T=1000, max_beta=0.999):
    """diffusers' squaredcos_cap_v2 betas, cumulated."""
    f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = [min(1 - f((i + 1) / T) / f(i / T), max_beta) for i in range(T)]
    return torch.cumprod(1 - torch.tensor(betas, dtype=torch.float64), 0).float()
