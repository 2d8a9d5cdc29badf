#!/usr/bin/env bash
# Parity of Qed's TorchSharp Qwen3 with Hugging Face transformers (or, where transformers is missing, with
# qwen3_reference.py, a plain-PyTorch transcription of modeling_qwen3) on the same random weights. CPU only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${1:-$(mktemp -d)}"
python="${QED_PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}"
dotnet run -c Release --project "$root/bench/Qed.Bench.Training" -- parity-dump "$dir"
"$python" "$root/tools/hf-parity/compare.py" "$dir"
