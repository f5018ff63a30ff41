"""Procedural shapes dataset: one shape of one colour on a background of another.

The renderer is deterministic from its parameters; `sample_scene` draws parameters from a
numpy Generator so a seed fixes a batch. The TypeScript renderer in
eval/src/shapes/render.ts follows the same geometry (tests compare them).
"""
import numpy as np

RES = 32
PALETTE = {  # name -> sRGB; far apart so a nearest-colour checker is unambiguous
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 70, 220),
    "yellow": (240, 220, 40),
    "purple": (140, 50, 190),
    "orange": (245, 140, 20),
    "white": (240, 240, 240),
    "black": (20, 20, 20),
}
COLORS = list(PALETTE)
SHAPES = ["circle", "square", "triangle", "cross"]
SIZES = {"small": 5.0, "large": 10.0}  # half-extent in pixels


def held_out_triples():
    """(shape colour, shape, background) triples never shown in training: every 10th triple."""
    triples = [(c, s, b) for c in COLORS for s in SHAPES for b in COLORS if b != c]
    return set(triples[i] for i in range(3, len(triples), 10))


def inside(shape, dx, dy, r):
    ax, ay = np.abs(dx), np.abs(dy)
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        return (ax <= 0.85 * r) & (ay <= 0.85 * r)
    if shape == "triangle":  # apex up, base at dy = +r
        return (dy >= -r) & (dy <= r) & (ax <= (dy + r) / 2)
    if shape == "cross":
        arm = r / 3
        return ((ax <= arm) & (ay <= r)) | ((ay <= arm) & (ax <= r))
    raise ValueError(shape)


def render(color, shape, bg, size, cx, cy):
    """uint8 [32,32,3]. Pixel centres at integer + 0.5; no anti-aliasing."""
    ys, xs = np.mgrid[0:RES, 0:RES].astype(np.float64) + 0.5
    mask = inside(shape, xs - cx, ys - cy, SIZES[size])
    img = np.empty((RES, RES, 3), np.uint8)
    img[:] = PALETTE[bg]
    img[mask] = PALETTE[color]
    return img


def prompt_of(color, shape, bg, size):
    return f"a {size} {color} {shape} on a {bg} background"


def noisy_caption(rng, scene, rate):
    """The scene's caption, with one attribute word wrong with probability `rate` (like web alt-text).

    A model trained on such captions reproduces the noise when sampled unguided (it learns p(x | caption));
    classifier-free guidance sharpens towards images that fit the caption best, as it does on real data.
    """
    color, shape, bg, size = scene["color"], scene["shape"], scene["bg"], scene["size"]
    if rng.random() < rate:
        which = rng.integers(4)
        if which == 0:
            color = _other(rng, COLORS, {color, bg})
        elif which == 1:
            bg = _other(rng, COLORS, {color, bg})
        elif which == 2:
            shape = _other(rng, SHAPES, {shape})
        else:
            size = "small" if size == "large" else "large"
    return prompt_of(color, shape, bg, size)


def _other(rng, values, avoid):
    choices = [v for v in values if v not in avoid]
    return choices[rng.integers(len(choices))]


def sample_scene(rng, exclude=None):
    while True:
        color = COLORS[rng.integers(len(COLORS))]
        bg = COLORS[rng.integers(len(COLORS))]
        shape = SHAPES[rng.integers(len(SHAPES))]
        if bg == color or (exclude and (color, shape, bg) in exclude):
            continue
        size = "small" if rng.integers(2) == 0 else "large"
        r = SIZES[size]
        cx = rng.uniform(r + 1, RES - r - 1)
        cy = rng.uniform(r + 1, RES - r - 1)
        return dict(color=color, shape=shape, bg=bg, size=size, cx=float(cx), cy=float(cy))


def eval_set(n=256, seed=20261128):
    """Held-out evaluation prompts: a quarter from unseen triples, the rest from seen ones."""
    rng = np.random.default_rng(seed)
    held = sorted(held_out_triples())
    items = []
    for i in range(n):
        if i % 4 == 0:
            color, shape, bg = held[rng.integers(len(held))]
            seen = False
        else:
            while True:
                s = sample_scene(rng)
                if (s["color"], s["shape"], s["bg"]) not in held_out_triples():
                    break
            color, shape, bg = s["color"], s["shape"], s["bg"]
            seen = True
        size = "small" if rng.integers(2) == 0 else "large"
        items.append(dict(prompt=prompt_of(color, shape, bg, size), seed=int(rng.integers(2**31)),
                          color=color, shape=shape, background=bg, size=size, seen_in_training=seen))
    return items
