"""A plain-PyTorch Qwen3 decoder that follows transformers' modeling_qwen3 step by step (same parameter names,
float32 RMSNorm statistics, rotate-half RoPE from float32 inverse frequencies, q/k norm before rotation,
grouped-query attention, SwiGLU MLP, tied or untied head). Used by compare.py when transformers is not installed
and by bench/Qed.Bench.Training/pytorch_step.py as the PyTorch-eager side of the training benchmark.

Works on PyTorch >= 1.13 (Debian 12's python3-torch): attention is written out (no scaled_dot_product_attention).
"""
import json, math, struct
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(dtype)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        bias = c.get("attention_bias", False)
        self.q_proj = nn.Linear(c["hidden_size"], self.heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(c["hidden_size"], self.kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(c["hidden_size"], self.kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.heads * self.head_dim, c["hidden_size"], bias=bias)
        self.q_norm = RMSNorm(self.head_dim, c["rms_norm_eps"])
        self.k_norm = RMSNorm(self.head_dim, c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(b, t, self.heads, self.head_dim)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).view(b, t, self.kv_heads, self.head_dim)).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        groups = self.heads // self.kv_heads
        k = k[:, :, None].expand(b, self.kv_heads, groups, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
        v = v[:, :, None].expand(b, self.kv_heads, groups, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = scores.masked_fill(~mask, float("-inf"))
        out = scores.softmax(-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, t, self.heads * self.head_dim))


class Mlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(c["hidden_size"], c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], c["hidden_size"], bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = Mlp(c)
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return h + self.mlp(self.post_attention_layernorm(h))


class Body(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class Qwen3ForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        c = dict(c)
        c.setdefault("head_dim", c["hidden_size"] // c["num_attention_heads"])
        c.setdefault("num_key_value_heads", c["num_attention_heads"])
        c.setdefault("rms_norm_eps", 1e-6)
        self.config = c
        self.model = Body(c)
        self.tied = c.get("tie_word_embeddings", False)
        if not self.tied:
            self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        d = c["head_dim"]
        self.register_buffer("inv_freq", 1.0 / (c.get("rope_theta", 1e6) ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d)), persistent=False)

    def forward(self, ids):
        b, t = ids.shape
        pos = torch.arange(t).unsqueeze(0).expand(b, t).float()
        freqs = pos.unsqueeze(-1) * self.inv_freq
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        h = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            h = layer(h, cos, sin, mask)
        h = self.model.norm(h)
        return F.linear(h, self.model.embed_tokens.weight) if self.tied else self.lm_head(h)


def read_safetensors(path):
    """Minimal safetensors reader (F32/BF16/F16) so no extra package is needed."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = bytearray(data[a:b])
        if info["dtype"] == "F32":
            t = torch.frombuffer(raw, dtype=torch.float32)
        elif info["dtype"] == "BF16":
            t = torch.frombuffer(raw, dtype=torch.bfloat16).float()
        elif info["dtype"] == "F16":
            t = torch.frombuffer(raw, dtype=torch.float16).float()
        else:
            raise ValueError(f"{path}: dtype {info['dtype']} of {name} not supported here")
        out[name] = t.reshape(info["shape"]).clone()
    return out


def load(directory):
    with open(f"{directory}/config.json") as f:
        config = json.load(f)
    model = Qwen3ForCausalLM(config)
    state = read_safetensors(f"{directory}/model.safetensors")
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or [u for u in unexpected if u != "lm_head.weight"]:
        raise ValueError(f"{directory}: missing {missing}, unexpected {unexpected}")
    return model.eval()
