#!/usr/bin/env python3
"""Writes the toy-copy policy files used by configs/train/grpo-tiny.yaml (stdlib only, deterministic):
tokenizer.json (Qwen3 tokenizer format: byte-level BPE with the Qwen split regex, but a vocabulary of only the
ten digits, '=', space and newline plus the five added tokens the chat template and the sampler need) and
config.json (a 2-layer Qwen3, hidden 64, vocab 18). A tiny vocabulary lets a randomly initialised policy hit the
rule-based reward by chance often enough for GRPO to learn from it on a CPU in seconds.
Run from this folder: python3 generate.py"""
import json
chars = list("0123456789") + ["=", "\u0120", "\u010a"]
vocab = {c: i for i, c in enumerate(chars)}
specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]
added = [{"id": len(chars) + j, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
          "normalized": False, "special": s.startswith("<|")} for j, s in enumerate(specials)]
regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
tok = {
  "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": {"type": "NFC"},
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False},
      {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
  "post_processor": None,
  "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
  "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
            "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": []}}
json.dump(tok, open("tokenizer.json", "w"), indent=1, ensure_ascii=False)
json.dump({"model_max_length": 256, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}, open("tokenizer_config.json", "w"), indent=1)
cfg = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 64, "intermediate_size": 128,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": len(chars) + len(specials),
  "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": True, "max_position_embeddings": 64,
  "attention_bias": False, "hidden_act": "silu", "torch_dtype": "float32", "bos_token_id": 13, "eos_token_id": 15}
json.dump(cfg, open("config.json", "w"), indent=2)
