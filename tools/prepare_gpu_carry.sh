#!/usr/bin/env bash
# Fill .gpu/ (ignored by git: add "/.gpu/" to .git/info/exclude) with what
# benchmarks/gpu_session.sh needs on a lent GPU machine that reaches no network: the vgg16-hed
# weights rounded to float16 (29 MB: the float32 file would not fit the 64 MiB transfer beside
# the repository), the exemplars of tools/bundled_models.txt, and a platformdirs wheel.
# Needs `texnet descriptors pull vgg16-hed` done here first.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
carry=${1:-$here/.gpu}
mkdir -p "$carry"
python - "$carry/vgg16-hed-fp16.pt" <<'PY'
import sys, torch
from texturenet_plugin.zoo.hed_weights import weights_path as hed_weights_path
state = torch.load(hed_weights_path(), map_location="cpu", weights_only=True)
state["convs"] = [t.half() for t in state["convs"]]
torch.save(state, sys.argv[1])
PY
while read -r _ file _; do cp "$here/../shared/corpus/textures/$file" "$carry/"; done \
  < "$here/tools/bundled_models.txt"
python -m pip download -q --no-deps --only-binary=:all: -d "$carry" platformdirs
du -sh "$carry"
