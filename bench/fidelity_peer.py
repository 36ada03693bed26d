#!/usr/bin/env python3
"""An independent PyTorch implementation of the beta-VAE (Higgins et al. 2017) and beta-TCVAE (Chen et al.
2018, minibatch-weighted sampling, Eq. 2 and Sec. 3.1), written from the papers, with disentanglement_lib's
conv nets as Untangle builds them (conv 32k4s2, 32k4s2, 64k2s2, 64k2s2, dense 256, dense 2z; decoder
dense 256, 1024, deconv 64/32/32/1 k4s2), Glorot-uniform kernels and zero biases, Bernoulli loss summed
per image, Adam. Data: dSprites from `untangle data dsprites` (.npz), batches drawn uniformly. Scores:
KL per dim and active units (Var_x E[z_d|x] > 0.01) on 10,000 points, and disentanglement_lib's
discretised MIG (20 equal-width bins per code, numpy.histogram edges; sklearn's mutual_info_score).
Prints one JSON line. Run it with /usr/bin/python3 (Debian's python3-torch).
Usage: fidelity_peer.py --npz FILE --model beta-vae|beta-tcvae [--beta 4] [--steps N] [--batch 64]
       [--lr 1e-3] [--seed 0] [--threads 2] [--log-every 10] [--adam torch|tf]
       [--codes-out F.npz] [--init-from DIR] [--streams DIR [--streams-only batches|noise]]
       [--log-out F.jsonl]
       fidelity_peer.py --score-codes F.npz: the MIG of F's mean codes against its factors
       fidelity_peer.py --same-start DIR --model M --beta B: one loss and its gradients at the weights,
       batch and noise Untangle wrote into DIR (bench/fidelity-same-start.ts); prints terms and the L2
       norm of each weight's gradient, by Untangle's weight names."""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import argparse, json, math, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from sklearn.metrics import mutual_info_score

ap = argparse.ArgumentParser()
ap.add_argument("--npz")
ap.add_argument("--same-start")
ap.add_argument("--model", choices=["beta-vae", "beta-tcvae"], default="beta-vae")
ap.add_argument("--beta", type=float, default=4.0)
ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--log-every", type=int, default=10)
ap.add_argument("--points", type=int, default=10_000)
# the evaluation points' images (uint8), factors and mean codes as an .npz, to score with the other side's metrics
ap.add_argument("--codes-out")
# only score FILE.npz's mean codes against its factors (Untangle's codes, by `untangle encode`) with this MIG
ap.add_argument("--score-codes")
# start training from Untangle's initial weights (a bench/fidelity-same-start.ts folder), not Glorot draws of our own
ap.add_argument("--init-from")
# train on an Untangle run's own draws (bench/fidelity-streams.ts): its initial weights, batches and noise
ap.add_argument("--streams")
# take only the run's batches or only its noise from --streams, the other from this script's own generators
ap.add_argument("--streams-only", choices=["batches", "noise"])
# the logged training terms, one JSON line per --log-every steps
ap.add_argument("--log-out")
# torch: torch.optim.Adam; tf: TensorFlow 1's form, Untangle's (src/train/adam.ts)
ap.add_argument("--adam", choices=["torch", "tf"], default="torch")
a = ap.parse_args()


def discretize(v, bins=20):
    edges = np.histogram(v, bins)[1]
    return np.digitize(v, edges[:-1])


def discrete_mig(means, f):
    codes = [discretize(means[:, d]) for d in range(means.shape[1])]
    mi = np.array([[mutual_info_score(f[:, k], c) for k in range(f.shape[1])] for c in codes])
    h = np.array([mutual_info_score(f[:, k], f[:, k]) for k in range(f.shape[1])])
    top = np.sort(mi, axis=0)[::-1]
    return float(np.mean((top[0] - top[1]) / h))


if a.score_codes:
    codes = np.load(a.score_codes)
    print(json.dumps({"impl": "pytorch-metrics", "codes": a.score_codes,
                      "mig": discrete_mig(codes["mean"].astype(np.float64), codes["factors"])}))
    raise SystemExit(0)
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
rng = np.random.default_rng(a.seed)
Z = 10

N = 737_280  # dSprites' size (the .npz's when training)


def load_data():
    global N
    # the images decompressed once into an .npy beside the .npz (3 GB), memory-mapped by later runs
    cache = a.npz + ".imgs.npy"
    if not os.path.exists(cache):
        data = np.load(a.npz)
        np.save(cache + ".tmp.npy", data["imgs"])
        os.replace(cache + ".tmp.npy", cache)
    imgs = np.load(cache, mmap_mode="r")  # uint8 [N, 64, 64] in {0, 1}
    # drop the constant colour: shape, scale, orientation, posX, posY
    factors = np.load(a.npz)["latents_classes"][:, 1:]
    N = imgs.shape[0]
    return imgs, factors


def batch_of(idx):
    imgs = DATA[0]
    return torch.from_numpy(imgs[idx].astype(np.float32)).unsqueeze(1)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        # TensorFlow's 'same' padding: k4 s2 pads 1 on each side, k2 s2 pads none
        self.convs = nn.ModuleList([nn.Conv2d(1, 32, 4, 2, 1), nn.Conv2d(32, 32, 4, 2, 1),
                                    nn.Conv2d(32, 64, 2, 2, 0), nn.Conv2d(64, 64, 2, 2, 0)])
        self.fc = nn.Linear(64 * 4 * 4, 256)
        self.out = nn.Linear(256, 2 * Z)

    def forward(self, x):
        for c in self.convs:
            x = F.relu(c(x))
        stats = self.out(F.relu(self.fc(x.flatten(1))))
        return stats[:, :Z], stats[:, Z:]


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(Z, 256), nn.Linear(256, 1024)
        self.deconvs = nn.ModuleList([nn.ConvTranspose2d(64, 64, 4, 2, 1), nn.ConvTranspose2d(64, 32, 4, 2, 1),
                                      nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ConvTranspose2d(32, 1, 4, 2, 1)])

    def forward(self, z):
        h = F.relu(self.fc2(F.relu(self.fc1(z)))).view(-1, 64, 4, 4)
        for i, d in enumerate(self.deconvs):
            h = d(h)
            if i < len(self.deconvs) - 1:
                h = F.relu(h)
        return h  # Bernoulli logits


def glorot(module):
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)  # fan_in + fan_out as TensorFlow's glorot_uniform
            nn.init.zeros_(m.bias)


enc, dec = Encoder(), Decoder()
glorot(enc)
glorot(dec)


class TfAdam:
    """TensorFlow 1's Adam: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), theta -= lr_t m / (sqrt(v) + eps). Its eps
    is added outside the bias correction, so early on it weighs 1 / sqrt(1 - b2^t) times PyTorch's (31x at
    step 1, 1.3x at step 1,500): it damps the steps of parameters whose gradients are near eps."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, (self.b1, self.b2), self.eps, self.t = list(params), lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        lr_t = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            m.mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            p.addcdiv_(m, v.sqrt().add_(self.eps), value=-lr_t)


weights = list(enc.parameters()) + list(dec.parameters())
opt = (TfAdam(weights, lr=a.lr) if a.adam == "tf"
       else torch.optim.Adam(weights, lr=a.lr, betas=(0.9, 0.999), eps=1e-8))
LOG_2PI = math.log(2 * math.pi)


def log_normal(x, mu, logvar):
    return -0.5 * (LOG_2PI + logvar + (x - mu) ** 2 / logvar.exp())


def loss_terms(x, eps=None):
    mu, logvar = enc(x)
    z = mu + torch.exp(0.5 * logvar) * (torch.randn_like(mu) if eps is None else eps)
    logits = dec(z)
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl_dim = (0.5 * (mu ** 2 + logvar.exp() - logvar - 1)).mean(0)
    kl = kl_dim.sum()
    if a.model == "beta-vae":
        return rec + a.beta * kl, rec, kl
    # Chen et al. 2018, Eq. 2: E[log q(z|x) - log q(z)] + beta E[log q(z) - sum_d log q(z_d)]
    # + E[sum_d log q(z_d) - log p(z)]; q(z) by minibatch-weighted sampling: log q(z_i) ~
    # logsumexp_j log q(z_i|x_j) - log(B N)
    b = x.shape[0]
    pair = log_normal(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))  # [i, j, d]
    log_qz = torch.logsumexp(pair.sum(2), 1) - math.log(b * N)
    log_qz_dims = (torch.logsumexp(pair, 1) - math.log(b * N)).sum(1)
    log_qz_x = log_normal(z, mu, logvar).sum(1)
    log_pz = log_normal(z, torch.zeros_like(z), torch.zeros_like(z)).sum(1)
    mi = (log_qz_x - log_qz).mean()
    tc = (log_qz - log_qz_dims).mean()
    dwkl = (log_qz_dims - log_pz).mean()
    return rec + mi + a.beta * tc + dwkl, rec, kl


def tf_to_torch(name, w):
    """A weight in Untangle's (TensorFlow) layout to this module's: conv kernels HWIO to OIHW, transposed
    conv HW(out)(in) to (in)(out)HW, dense [in, out] to [out, in]; the dense layers next to the 4x4x64
    reshape also reorder NHWC to NCHW (TensorFlow flattens (h, w, c), PyTorch (c, h, w))."""
    layer = name.split("/")[0]
    if w.ndim == 4:
        return w.transpose(3, 2, 0, 1)
    if layer == "e5" and w.ndim == 2:  # the dense after flatten: its inputs are (h, w, c)
        return w.reshape(4, 4, 64, -1).transpose(3, 2, 0, 1).reshape(w.shape[1], -1)
    if layer == "d2":  # the dense before the reshape: its outputs are (h, w, c)
        if w.ndim == 2:
            return w.reshape(-1, 4, 4, 64).transpose(3, 1, 2, 0).reshape(1024, -1)
        return w.reshape(4, 4, 64).transpose(2, 0, 1).reshape(-1)
    return w.T if w.ndim == 2 else w


TORCH_NAMES = {"e1": enc.convs[0], "e2": enc.convs[1], "e3": enc.convs[2], "e4": enc.convs[3], "e5": enc.fc,
               "means_logvars": enc.out, "d1": dec.fc1, "d2": dec.fc2, "d3": dec.deconvs[0],
               "d4": dec.deconvs[1], "d5": dec.deconvs[2], "logits": dec.deconvs[3]}


def load_weights(folder):
    """Untangle's weights from a bench/fidelity-same-start.ts folder into enc and dec, by Untangle's names."""
    meta = json.load(open(os.path.join(folder, "weights.json")))
    params = {}
    for w in meta["weights"]:
        layer, kind = w["name"].split("/")[0], w["name"].split("/")[-1]
        kind = kind.split("_")[0]  # a second model in a process names its weights bias_1
        param = getattr(TORCH_NAMES[layer], "weight" if kind == "kernel" else "bias")
        value = torch.from_numpy(np.ascontiguousarray(tf_to_torch(w["name"], np.load(os.path.join(folder, w["file"])))))
        assert param.shape == value.shape, (w["name"], param.shape, value.shape)
        with torch.no_grad():
            param.copy_(value)
        params[w["name"]] = param
    return params


def same_start(folder):
    params = load_weights(folder)
    x = torch.from_numpy(np.load(os.path.join(folder, "x.npy"))).permute(0, 3, 1, 2).contiguous()
    eps = torch.from_numpy(np.load(os.path.join(folder, "eps.npy")))
    total, rec, kl = loss_terms(x, eps)
    opt.zero_grad()
    total.backward()
    first = {"total": total.item(), "reconstruction": rec.item(), "kl": kl.item(),
             "gradNorms": {n: p.grad.norm().item() for n, p in params.items()}}
    # --steps Adam steps on this one batch and noise, the loss after each
    adam = (TfAdam(list(params.values()), lr=a.lr) if a.adam == "tf"
            else torch.optim.Adam(list(params.values()), lr=a.lr, betas=(0.9, 0.999), eps=1e-8))
    losses = []
    for _ in range(a.steps):
        adam.zero_grad()
        loss_terms(x, eps)[0].backward()
        adam.step()
        with torch.no_grad():
            losses.append(loss_terms(x, eps)[0].item())
    print(json.dumps({**first, "losses": losses}))


if a.same_start:
    torch.set_default_dtype(torch.float32)
    same_start(a.same_start)
    raise SystemExit(0)
if not a.npz:
    ap.error("--npz FILE is needed to train")
DATA = load_data()
factors = DATA[1]
if a.init_from or a.streams:
    load_weights(a.init_from or a.streams)
if a.streams:
    STREAM_IDX = np.load(os.path.join(a.streams, "indices.npy"))
    STREAM_EPS = torch.from_numpy(np.load(os.path.join(a.streams, "noise.npy")))
    if STREAM_IDX.shape[0] < a.steps or STREAM_IDX.shape[1] != a.batch:
        ap.error(f"--streams {a.streams}: {STREAM_IDX.shape[0]} steps of batch {STREAM_IDX.shape[1]}, "
                 f"--steps {a.steps} --batch {a.batch} were asked for")
log = []
began = time.perf_counter()
for step in range(1, a.steps + 1):
    # the draws are made whether used or not, so each generator's stream is the same in every mode
    own_idx = rng.integers(0, N, a.batch)
    own_eps = torch.randn(a.batch, Z)
    if a.streams and a.streams_only != "noise":
        own_idx = STREAM_IDX[step - 1]
    if a.streams and a.streams_only != "batches":
        own_eps = STREAM_EPS[step - 1]
    total, rec, kl = loss_terms(batch_of(own_idx), own_eps)
    opt.zero_grad()
    total.backward()
    opt.step()
    if step % a.log_every == 0 or step == a.steps:
        log.append({"step": step, "total": total.item(), "reconstruction": rec.item(), "kl": kl.item()})
seconds = time.perf_counter() - began
tail = log[-max(1, math.ceil(len(log) / 10)):]
if a.log_out:
    with open(a.log_out, "w") as out:
        out.writelines(json.dumps(e) + "\n" for e in log)

with torch.no_grad():
    idx = rng.integers(0, N, a.points)
    means, kls = [], []
    for s in range(0, a.points, 256):
        mu, logvar = enc(batch_of(idx[s:s + 256]))
        means.append(mu.numpy())
        kls.append((0.5 * (mu ** 2 + logvar.exp() - logvar - 1)).numpy())
    means = np.concatenate(means).astype(np.float64)
    kl_per_dim = np.concatenate(kls).mean(0)
    f = factors[idx]


mig = discrete_mig(means, f)
if a.codes_out:
    np.savez(a.codes_out, imgs=np.asarray(DATA[0][idx]), factors=f.astype(np.int32), mean=means)
print(json.dumps({
    "impl": "pytorch", "version": torch.__version__, "model": a.model, "beta": a.beta, "seed": a.seed,
    "steps": a.steps, "batch": a.batch, "lr": a.lr, "adam": a.adam, "seconds": round(seconds, 1),
    "img_per_s": round(a.steps * a.batch / seconds, 1),
    "reconstruction": float(np.mean([e["reconstruction"] for e in tail])),
    "kl": float(np.mean([e["kl"] for e in tail])),
    "kl_per_dim": [round(float(v), 4) for v in kl_per_dim],
    "active_units": int((means.var(0, ddof=1) > 0.01).sum()),
    "mig": mig,
}))
