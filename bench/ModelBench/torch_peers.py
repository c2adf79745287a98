"""PyTorch peers of bench/ModelBench's targets, on the CPU: eager and TorchScript (and torch.sparse for the GCN).

TorchScript is torch.jit.script then optimize_for_inference (tracing would freeze the GCN's graph).
Each target is the same architecture at the same size as its .dsk model, written the way a PyTorch user
would write it, with random weights: only the timings are compared (the .dsk engines check each other's
numbers). Prints one JSON object: {target: {"eager_ms": median, "torchscript_ms": median}}.

  /usr/bin/python3 bench/ModelBench/torch_peers.py [--iters 10] [--threads 2] [--targets moe,cross_modal,gcn,block]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SparseMoE(nn.Module):
    """8 experts (Linear, GELU, Linear), top-2 of a softmax gate, weights renormalised; tokens are gathered
    per expert and scattered back with index_add_ (the usual PyTorch MoE, as in Hugging Face's Mixtral)."""

    def __init__(self, d=512, hidden=1024, experts=8, top_k=2):
        super().__init__()
        self.top_k = top_k
        self.gate = nn.Linear(d, experts, bias=False)
        self.experts = nn.ModuleList(nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, d)) for _ in range(experts))

    def forward(self, x):
        b, t, d = x.shape
        h = x.reshape(b * t, d)
        probs = F.softmax(self.gate(h), dim=-1)
        weights, chosen = torch.topk(probs, self.top_k, dim=-1)
        weights = weights / weights.sum(dim=-1, keepdim=True)
        out = torch.zeros_like(h)
        for e, expert in enumerate(self.experts):
            token, slot = torch.where(chosen == e)
            y = expert(h[token]) * weights[token, slot, None]
            out.index_add_(0, token, y)
        return out.reshape(b, t, d)


class CrossModal(nn.Module):
    def __init__(self, text_dim=768, vision_dim=1024, d=512, heads=8):
        super().__init__()
        self.proj_text = nn.Linear(text_dim, d)
        self.proj_vision = nn.Linear(vision_dim, d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)

    def forward(self, text, vision):
        t = self.proj_text(text)
        v = self.proj_vision(vision)
        return self.attn(v, t, t, need_weights=False)[0] + v


class FraudGCN(nn.Module):
    """GraphConv (D^-1/2 (A+I) D^-1/2 X W^T + b, propagation with torch.sparse on the narrower side) and a classifier."""

    def __init__(self, features=128, hidden=256):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(hidden, features) * 0.05)
        self.bias = nn.Parameter(torch.zeros(hidden))
        self.classifier = nn.Linear(hidden, 2)

    def forward(self, x, edges):
        n = x.shape[0]
        src, dst = edges[0], edges[1]
        deg = torch.zeros(n).index_add_(0, dst, torch.ones(dst.shape[0])) + 1.0
        inv_sqrt = deg.rsqrt()
        coef = inv_sqrt[src] * inv_sqrt[dst]
        adj = torch.sparse_coo_tensor(torch.stack([dst, src]), coef, (n, n))
        ax = torch.sparse.mm(adj, x) + x * (inv_sqrt * inv_sqrt)[:, None]
        return self.classifier(F.relu(ax @ self.weight.t() + self.bias))


class Block(nn.Module):
    """Pre-norm GPT block: x + attn(ln1(x)) with a causal mask, then + mlp(ln2(x)) with GELU."""

    def __init__(self, d=768, heads=12):
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        t = x.shape[1]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        h = self.norm1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


def targets():
    g = torch.Generator().manual_seed(0)
    n, e = 20000, 200000
    return {
        "moe": (SparseMoE(), (torch.randn(8, 128, 512, generator=g),)),
        "cross_modal": (CrossModal(), (torch.randn(8, 64, 768, generator=g), torch.randn(8, 196, 1024, generator=g))),
        "gcn": (FraudGCN(), (torch.randn(n, 128, generator=g), torch.randint(0, n, (2, e), generator=g))),
        "block": (Block(), (torch.randn(4, 256, 768, generator=g),)),
    }


def median_ms(fn, iters, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--targets", default="moe,cross_modal,gcn,block")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = {}
    for name, (model, inputs) in targets().items():
        if name not in args.targets.split(","):
            continue
        model.eval()
        entry = {}
        with torch.no_grad():
            entry["eager_ms"] = median_ms(lambda: model(*inputs), args.iters)
            try:
                scripted = torch.jit.optimize_for_inference(torch.jit.script(model))
                entry["torchscript_ms"] = median_ms(lambda: scripted(*inputs), args.iters)
            except Exception as error:  # a model TorchScript cannot compile: report why, keep the rest
                entry["torchscript_ms"] = None
                entry["torchscript_error"] = str(error).splitlines()[0]
        results[name] = entry
    print(json.dumps(results))


if __name__ == "__main__":
    main()
