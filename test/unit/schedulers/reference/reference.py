"""Independent numpy reference for the TS schedulers, written from the diffusers / k-diffusion /
ComfyUI definitions (diffusers is not installed). Prints the fixture JSON the tests compare to:

    /usr/bin/python3 test/unit/schedulers/reference/reference.py > test/unit/schedulers/reference/reference.json

Formulations deliberately differ from the TS code where the libraries differ: Euler and the
CFG++ samplers run in the k-diffusion VE state (x = x0 + sigma*eps), DPM++ 2M uses diffusers'
lambda/D1 multistep form, DDIM uses diffusers' step. Everything is float64.
"""
import json
import math

import numpy as np

T = 1000
SD = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
SHAPES = dict(beta_start=0.0001, beta_end=0.02, beta_schedule="squaredcos_cap_v2")
LINEAR = dict(beta_start=0.0001, beta_end=0.02, beta_schedule="linear")


def alphas_cumprod(beta_start, beta_end, beta_schedule):
    if beta_schedule == "linear":
        betas = np.linspace(beta_start, beta_end, T)
    elif beta_schedule == "scaled_linear":
        betas = np.linspace(beta_start ** 0.5, beta_end ** 0.5, T) ** 2
    else:  # betas_for_alpha_bar, cosine, max_beta 0.999
        f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = np.array([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)])
    return np.cumprod(1.0 - betas)


# ---- timestep grids, one function per diffusers class -------------------------------------

def ddim_timesteps(n, spacing, offset):
    if spacing == "linspace":
        return np.linspace(0, T - 1, n).round()[::-1].astype(np.int64)
    if spacing == "leading":
        return (np.arange(0, n) * (T // n)).round()[::-1].astype(np.int64) + offset
    return np.round(np.arange(T, 0, -T / n)).astype(np.int64)[:n] - 1


def euler_timesteps(n, spacing, offset):
    if spacing == "linspace":
        return np.linspace(0, T - 1, n, dtype=np.float32)[::-1].copy()
    if spacing == "leading":
        return (np.arange(0, n) * (T // n)).round()[::-1].astype(np.float32) + offset
    return (np.arange(T, 0, -T / n)).round()[:n].astype(np.float32) - 1


def dpm_timesteps(n, spacing, offset):
    if spacing == "linspace":
        return np.linspace(0, T - 1, n + 1).round()[::-1][:-1].astype(np.int64)
    if spacing == "leading":
        return (np.arange(0, n + 1) * (T // (n + 1))).round()[::-1][:-1].astype(np.int64) + offset
    return np.arange(T, 0, -T / n).round()[:n].astype(np.int64) - 1


def euler_sigmas(ac, timesteps):
    table = ((1 - ac) / ac) ** 0.5
    return np.concatenate([np.interp(timesteps.astype(np.float64), np.arange(T), table), [0.0]])


def init_noise_sigma(sigmas, spacing):
    m = sigmas.max()
    return float(m if spacing in ("linspace", "trailing") else (m * m + 1) ** 0.5)


# ---- a fixed fake model on the model input -------------------------------------------------

C1 = np.array([0.3, -0.2, 0.1, 0.0, -0.4, 0.25])
C2 = np.array([-0.1, 0.05, 0.2, -0.3, 0.15, 0.0])


def model_eps(x_in):
    return 0.1 * x_in + 0.05 * C1


def model_v(x_in):
    return 0.1 * x_in - 0.02 * C2


def model_uncond_eps(x_in):
    return 0.08 * x_in - 0.03 * C2


X_INIT = np.array([0.9, -1.3, 0.4, 2.1, -0.2, 0.05])
NOISE = np.random.RandomState(1234).randn(64, 6)


def to_x0_eps(out, x, a, s, kind):
    if kind == "epsilon":
        return (x - s * out) / a, out
    if kind == "v_prediction":
        return a * x - s * out, s * x + a * out
    raise ValueError(kind)


# ---- samplers ------------------------------------------------------------------------------

def run_ddim(cfg, n):
    ac = alphas_cumprod(**cfg["betas"])
    ts = ddim_timesteps(n, cfg["spacing"], cfg["offset"])
    final = 1.0 if cfg["set_alpha_to_one"] else ac[0]
    eta = cfg.get("eta", 0.0)
    x, xs, pts, k = X_INIT.copy(), [], [], 0
    for t in ts:
        a_t = ac[t]
        prev = t - T // n
        a_prev = ac[prev] if prev >= 0 else final
        a, s = a_t ** 0.5, (1 - a_t) ** 0.5
        pts.append([int(t), a, s])
        model = model_eps if cfg["prediction"] == "epsilon" else model_v
        x0, eps = to_x0_eps(model(x), x, a, s, cfg["prediction"])
        if cfg.get("clip"):
            x0 = np.clip(x0, -cfg["clip"], cfg["clip"])
        var = (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)
        std = eta * var ** 0.5
        x = a_prev ** 0.5 * x0 + (1 - a_prev - std ** 2) ** 0.5 * eps
        if eta > 0:
            x = x + std * NOISE[k]
            k += 1
        xs.append(x.tolist())
    return pts, xs


def ve_setup(cfg, n):
    ac = alphas_cumprod(**cfg["betas"])
    ts = euler_timesteps(n, cfg["spacing"], cfg["offset"])
    sig = euler_sigmas(ac, ts)
    return ts, sig, init_noise_sigma(sig, cfg["spacing"])


def ve_denoise(x, sigma, t, kind):
    """k-diffusion CompVis-style wrapper: c_in scaling, output → denoised (VE)."""
    c_in = 1 / (sigma ** 2 + 1) ** 0.5
    if kind == "epsilon":
        return x - sigma * model_eps(x * c_in)
    v = model_v(x * c_in)
    return x / (sigma ** 2 + 1) - v * sigma / (sigma ** 2 + 1) ** 0.5


def run_euler(cfg, n, ancestral):
    ts, sig, ins = ve_setup(cfg, n)
    x, xs, pts, k = X_INIT * ins, [], [], 0
    for i in range(n):
        s, s_next = sig[i], sig[i + 1]
        pts.append([float(ts[i]), 1 / (s * s + 1) ** 0.5, s / (s * s + 1) ** 0.5])
        den = ve_denoise(x, s, ts[i], cfg["prediction"])
        d = (x - den) / s
        if not ancestral:
            x = x + d * (s_next - s)
        else:
            s_up = (s_next ** 2 * (s ** 2 - s_next ** 2) / s ** 2) ** 0.5
            s_down = (s_next ** 2 - s_up ** 2) ** 0.5
            x = x + d * (s_down - s)
            if s_up > 0:
                x = x + NOISE[k] * s_up
                k += 1
        xs.append(x.tolist())
    return ins, pts, xs


def run_dpmpp_2m(cfg, n):
    """diffusers DPMSolverMultistepScheduler, dpmsolver++ order 2 midpoint, VP state."""
    ac = alphas_cumprod(**cfg["betas"])
    ts = dpm_timesteps(n, cfg["spacing"], cfg["offset"])
    table = ((1 - ac) / ac) ** 0.5
    sig = np.concatenate([np.interp(ts, np.arange(T), table), [0.0]])
    alpha = lambda s: 1 / (s * s + 1) ** 0.5
    lam = lambda s: math.log(alpha(s)) - math.log(s * alpha(s))
    x, xs, pts, outs = X_INIT.copy(), [], [], []
    for i in range(n):
        s0, s1 = sig[i], sig[i + 1]
        a0, sg0 = alpha(s0), s0 * alpha(s0)
        pts.append([int(ts[i]), a0, sg0])
        model = model_eps if cfg["prediction"] == "epsilon" else model_v
        x0, _ = to_x0_eps(model(x), x, a0, sg0, cfg["prediction"])
        outs.append(x0)
        a_t = alpha(s1)
        if s1 == 0:  # final_sigmas_type "zero": first order onto sigma 0 returns x0
            x = x0
        elif i == 0:
            h = lam(s1) - lam(s0)
            x = (s1 * a_t / sg0) * x - a_t * (math.exp(-h) - 1) * x0
        else:
            sm1 = sig[i - 1]
            h, h0 = lam(s1) - lam(s0), lam(s0) - lam(sm1)
            r0 = h0 / h
            D0, D1 = outs[-1], (1.0 / r0) * (outs[-1] - outs[-2])
            x = (s1 * a_t / sg0) * x - a_t * (math.exp(-h) - 1) * D0 - 0.5 * a_t * (math.exp(-h) - 1) * D1
        xs.append(x.tolist())
    return pts, xs


# ---- CFG++ (ComfyUI forms, VE state; DDIM in the paper's form) --------------------------------

LAMBDA = 0.6


def cfgpp_denoised(x, s):
    c_in = 1 / (s * s + 1) ** 0.5
    e_c, e_u = model_eps(x * c_in), model_uncond_eps(x * c_in)
    e_l = e_u + LAMBDA * (e_c - e_u)
    return x - s * e_l, x - s * e_u  # D_lambda, D_u


def run_cfgpp_ve(cfg, n, kind):
    ts, sig, ins = ve_setup(cfg, n) if kind != "dpmpp_2m" else (None, None, None)
    if kind == "dpmpp_2m":
        ac = alphas_cumprod(**cfg["betas"])
        ts = dpm_timesteps(n, cfg["spacing"], cfg["offset"])
        sig = np.concatenate([np.interp(ts, np.arange(T), ((1 - ac) / ac) ** 0.5), [0.0]])
        ins = 1.0
    # DPM++ runs the VP state in TS; here the VE state x_ve = x_vp * sqrt(s^2+1) is used throughout.
    x = X_INIT * (ins if kind != "dpmpp_2m" else (sig[0] ** 2 + 1) ** 0.5)
    xs, k, old_du = [], 0, None
    for i in range(n):
        s, s_next = sig[i], sig[i + 1]
        d_l, d_u = cfgpp_denoised(x, s)
        if kind == "euler":  # sample_euler_cfg_pp
            x = d_l + s_next * (x - d_u) / s
        elif kind == "euler_a":  # sample_euler_ancestral_cfg_pp, eta = 1
            s_up = (s_next ** 2 * (s ** 2 - s_next ** 2) / s ** 2) ** 0.5
            s_down = (s_next ** 2 - s_up ** 2) ** 0.5
            x = d_l + (x - d_u) / s * s_down
            if s_up > 0:
                x = x + NOISE[k] * s_up
                k += 1
        else:  # sample_dpmpp_2m_cfg_pp
            t, t_next = -math.log(s), (-math.log(s_next) if s_next > 0 else math.inf)
            h = t_next - t
            e = math.exp(-h)
            if old_du is None or s_next == 0:
                mix = -e * d_u
            else:
                r = (t - (-math.log(sig[i - 1]))) / h
                mix = -e * d_u - math.expm1(-h) * (1 / (2 * r)) * (d_l - old_du)
            x = d_l + mix + e * x
            old_du = d_u
        out = x if kind != "dpmpp_2m" else x / (s_next ** 2 + 1) ** 0.5  # TS keeps DPM++ in VP
        xs.append(out.tolist())
    return xs


def run_cfgpp_ddim(cfg, n):
    ac = alphas_cumprod(**cfg["betas"])
    ts = ddim_timesteps(n, cfg["spacing"], cfg["offset"])
    final = 1.0 if cfg["set_alpha_to_one"] else ac[0]
    x, xs = X_INIT.copy(), []
    for t in ts:
        a_t = ac[t]
        prev = t - T // n
        a_prev = ac[prev] if prev >= 0 else final
        e_c, e_u = model_eps(x), model_uncond_eps(x)
        e_l = e_u + LAMBDA * (e_c - e_u)
        x0_l = (x - (1 - a_t) ** 0.5 * e_l) / a_t ** 0.5
        x = a_prev ** 0.5 * x0_l + (1 - a_prev) ** 0.5 * e_u
        xs.append(x.tolist())
    return xs


def main():
    out = {"x_init": X_INIT.tolist(), "noise": NOISE.tolist(), "c1": C1.tolist(), "c2": C2.tolist(),
           "cfgpp_lambda": LAMBDA}

    out["alphas_cumprod"] = []
    for name, betas in [("sd", SD), ("shapes", SHAPES), ("linear", LINEAR)]:
        ac = alphas_cumprod(**betas)
        idx = [0, 1, 250, 500, 998, 999]
        out["alphas_cumprod"].append({"name": name, "betas": betas, "index": idx, "values": [float(ac[i]) for i in idx]})
    sd_ac = alphas_cumprod(**SD)
    out["sd_sigma_max"] = float(((1 - sd_ac[-1]) / sd_ac[-1]) ** 0.5)
    out["sd_sigma_min"] = float(((1 - sd_ac[0]) / sd_ac[0]) ** 0.5)

    out["grids"] = []
    for n in [1, 7, 16, 20, 50]:
        for spacing in ["leading", "trailing", "linspace"]:
            for offset in [0, 1]:
                g = {"steps": n, "spacing": spacing, "offset": offset,
                     "ddim": ddim_timesteps(n, spacing, offset).tolist(),
                     "euler": [float(v) for v in euler_timesteps(n, spacing, offset)],
                     "dpmpp_2m": dpm_timesteps(n, spacing, offset).tolist()}
                sig = euler_sigmas(sd_ac, euler_timesteps(n, spacing, offset))
                g["euler_sd_sigmas"] = sig.tolist()
                g["euler_sd_init_noise_sigma"] = init_noise_sigma(sig, spacing)
                out["grids"].append(g)

    cases = []
    sd = dict(betas=SD, spacing="leading", offset=1, set_alpha_to_one=False, prediction="epsilon")
    shapes = dict(betas=SHAPES, spacing="trailing", offset=0, set_alpha_to_one=False, prediction="epsilon")
    lin = dict(betas=LINEAR, spacing="linspace", offset=0, set_alpha_to_one=True, prediction="v_prediction")
    for label, cfg in [("sd", sd), ("shapes", shapes), ("linear_v", lin)]:
        for n in [10, 4]:
            pts, xs = run_ddim(cfg, n)
            cases.append({"scheduler": "ddim", "label": label, "cfg": cfg, "steps": n, "points": pts, "xs": xs})
            for name, anc in [("euler", False), ("euler_a", True)]:
                ins, pts, xs = run_euler(cfg, n, anc)
                cases.append({"scheduler": name, "label": label, "cfg": cfg, "steps": n, "init_noise_sigma": ins,
                              "points": pts, "xs": xs})
            pts, xs = run_dpmpp_2m(cfg, n)
            cases.append({"scheduler": "dpmpp_2m", "label": label, "cfg": cfg, "steps": n, "points": pts, "xs": xs})
    for eta in [0.5, 1.0]:
        cfg = dict(sd, eta=eta)
        pts, xs = run_ddim(cfg, 8)
        cases.append({"scheduler": "ddim", "label": f"sd_eta{eta}", "cfg": cfg, "steps": 8, "points": pts, "xs": xs})
    cfg = dict(shapes, clip=1.0)
    pts, xs = run_ddim(cfg, 6)
    cases.append({"scheduler": "ddim", "label": "shapes_clip", "cfg": cfg, "steps": 6, "points": pts, "xs": xs})
    out["trajectories"] = cases

    cfgpp = []
    for n in [10, 5]:
        cfgpp.append({"scheduler": "ddim", "cfg": sd, "steps": n, "xs": run_cfgpp_ddim(sd, n)})
        for kind in ["euler", "euler_a", "dpmpp_2m"]:
            cfg = dict(sd, spacing="linspace", offset=0)
            cfgpp.append({"scheduler": kind, "cfg": cfg, "steps": n, "xs": run_cfgpp_ve(cfg, n, kind)})
    out["cfgpp"] = cfgpp
    print(json.dumps(out, indent=1))


main()
