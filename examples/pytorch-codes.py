"""Codes of a PyTorch model and the factors that produced them, saved as .npy for Untangle's metrics.

Replace `encoder` with your trained model's encoder (e.g. posterior means of your VAE). This stand-in
is a fixed random linear map of the factors plus noise, so the script runs anywhere torch is installed.
Usage: python3 examples/pytorch-codes.py OUT_DIR
"""
import sys

import numpy as np
import torch

out = sys.argv[1]
rng = np.random.default_rng(0)
factors = np.stack([rng.integers(0, size, 3000) for size in (3, 6, 40, 32, 32)], axis=1)  # dSprites sizes
torch.manual_seed(0)
encoder = torch.nn.Linear(5, 10)
with torch.no_grad():
    x = torch.tensor(factors / (np.array([3, 6, 40, 32, 32]) - 1), dtype=torch.float32)
    codes = encoder(x) + 0.05 * torch.randn(3000, 10)
np.save(f"{out}/codes.npy", codes.numpy())
np.save(f"{out}/factors.npy", factors.astype(np.int64))
