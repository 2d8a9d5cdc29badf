#!/usr/bin/env python3
"""Parity of Qed's TorchSharp Qwen3 with Hugging Face transformers on the same random weights.

Input: a folder written by `dotnet run --project bench/Qed.Bench.Training -c Release -- parity-dump DIR`:
  DIR/hf/            a random Qwen3 checkpoint in Hugging Face layout (config.json, model.safetensors, tokenizer)
  DIR/expected.json  {"tokens": [...], "logits": [[...] per position], "greedy": [...16 tokens]} from TorchSharp

It loads DIR/hf with transformers.Qwen3ForCausalLM when transformers is importable (CPU, float32, eager
attention); otherwise with qwen3_reference.py, a plain-PyTorch transcription of modeling_qwen3, and says so.
Prints one RESULT line (JSON) and exits non-zero when max |Δlogit| >= 1e-4 or the greedy tokens differ.
"""
import json, sys, os
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(directory):
    with open(os.path.join(directory, "expected.json")) as f:
        expected = json.load(f)
    tokens = torch.tensor([expected["tokens"]])
    try:
        import transformers
        model = transformers.Qwen3ForCausalLM.from_pretrained(os.path.join(directory, "hf"), torch_dtype=torch.float32,
                                                              attn_implementation="eager").eval()
        engine = f"transformers {transformers.__version__}"
        forward = lambda ids: model(ids).logits
    except ImportError:
        import qwen3_reference
        model = qwen3_reference.load(os.path.join(directory, "hf"))
        engine = "qwen3_reference.py (transformers not installed)"
        forward = model
    with torch.no_grad():
        logits = forward(tokens)[0]
        delta = (logits - torch.tensor(expected["logits"])).abs().max().item()
        seq = tokens
        greedy = []
        for _ in range(len(expected["greedy"])):
            nxt = forward(seq)[0, -1].argmax().item()
            greedy.append(nxt)
            seq = torch.cat([seq, torch.tensor([[nxt]])], 1)
    ok = delta < 1e-4 and greedy == expected["greedy"]
    print("RESULT " + json.dumps({"engine": engine, "torch": torch.__version__, "max_abs_logit_delta": delta,
                                  "greedy_equal": greedy == expected["greedy"], "positions": tokens.shape[1], "pass": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
