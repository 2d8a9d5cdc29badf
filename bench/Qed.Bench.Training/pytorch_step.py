#!/usr/bin/env python3
"""PyTorch-eager side of the training-step benchmark: the same Qwen3 shape, batch, sequence and thread count as
the TorchSharp side (Program.cs), one step = forward, mean cross-entropy, backward, clip 1.0, AdamW (lr 1e-4,
wd 0.01, single-tensor implementation), zero grads. Prints one JSON line.
Usage: pytorch_step.py CONFIG_JSON BATCH SEQ THREADS WARMUP MEASURED"""
import json, os, resource, sys, time

here = os.path.dirname(os.path.abspath(__file__))
for candidate in (os.path.join(here, "..", "..", "tools", "hf-parity"), os.path.join(here, "..", "..", "..", "..", "..", "tools", "hf-parity")):
    sys.path.insert(0, os.path.abspath(candidate))
import torch
import torch.nn.functional as F
import qwen3_reference


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    config = json.loads(sys.argv[1])
    batch, seq, threads, warmup, measured = map(int, sys.argv[2:7])
    torch.set_num_threads(threads)
    baseline = peak_mb()
    torch.manual_seed(0)
    model = qwen3_reference.Qwen3ForCausalLM(config).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01, foreach=False)
    ids = torch.randint(0, config["vocab_size"], (batch, seq + 1))
    times = []
    for step in range(warmup + measured):
        start = time.perf_counter()
        logits = model(ids[:, :seq])
        loss = F.cross_entropy(logits.reshape(-1, config["vocab_size"]), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=False)
        if step >= warmup:
            times.append((time.perf_counter() - start) * 1000)
    ms = sum(times) / len(times)
    print(json.dumps({"engine": f"pytorch {torch.__version__} eager", "threads": threads, "batch": batch, "seq": seq,
                      "params": sum(p.numel() for p in model.parameters()), "step_ms": round(ms, 2),
                      "tokens_per_s": round(batch * seq / (ms / 1000), 1), "peak_rss_mb": round(peak_mb(), 1),
                      "peak_rss_over_start_mb": round(peak_mb() - baseline, 1)}))


if __name__ == "__main__":
    main()
