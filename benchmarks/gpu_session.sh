#!/usr/bin/env bash
# One GPU session's checks and timings (issue 7), run on a lent CUDA machine in one call:
#   correctness of the inference paths on CUDA (benchmarks/cuda_check.py), speed.py on CUDA
#   (fill 256²..4096² in float32/bfloat16/float16, stylize), `texnet fill --tile 16384x16384`
#   on CUDA with its wall time and peak RSS, then the `paper` training preset (256² samples,
#   batch 16, colour term) on the bundled models named in MODELS until the deadline.
# Needs a folder CARRY (default .gpu, made by `bash tools/prepare_gpu_carry.sh`) holding:
# vgg16-hed-fp16.pt (the descriptor's weights in float16, to fit the transfer; widened back to
# float32 here), the exemplar PNGs of tools/bundled_models.txt, wheels of any missing
# pure-Python dependency (platformdirs), and NAME-checkpoint.pt of runs an earlier session cut.
# Results go to OUT (default ./gpu-out): log.txt, cuda-check.json, speed-cuda.json,
# NAME-paper.tnet, or NAME-checkpoint.pt for a run cut off by the deadline.
# Dry run on a CPU: DEVICE=cpu SIZES=256 ITERATIONS=2 BATCH=1 BIG=512x512 bash benchmarks/gpu_session.sh
# Checks and timings only, no training: MODELS= bash benchmarks/gpu_session.sh
set -u
start=$(date +%s)
here=$(cd "$(dirname "$0")/.." && pwd)
carry=${CARRY:-$here/.gpu}
out=${OUT:-$here/gpu-out}
device=${DEVICE:-cuda}
sizes=${SIZES:-256,512,1024,2048,4096}
deadline=${DEADLINE:-500}  # seconds after start by which training must have stopped
mkdir -p "$out" /tmp/texnet-gpu-home/cache/descriptors
export TEXNET_HOME=/tmp/texnet-gpu-home PYTHONUNBUFFERED=1
export PYTHONPATH="$here:$here/cli:/tmp/texnet-site${PYTHONPATH:+:$PYTHONPATH}"
exec > >(tee -a "$out/log.txt") 2>&1
left() { echo $(( deadline - ($(date +%s) - start) )); }
step() { echo; echo "=== $* (t=$(( $(date +%s) - start )) s)"; }

step environment
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv || true
python3 -c "import torch, sys; print(sys.version.split()[0], torch.__version__,
  torch.cuda.get_device_name() if torch.cuda.is_available() else 'no cuda')"
ls "$carry"/*.whl >/dev/null 2>&1 && python3 -m pip install -q --no-index --no-deps \
  --target /tmp/texnet-site "$carry"/*.whl
[ -f "$carry/vgg16-hed-fp16.pt" ] && python3 - "$carry/vgg16-hed-fp16.pt" \
  "$TEXNET_HOME/cache/descriptors/vgg16-hed.pt" <<'EOF'
import sys, torch
state = torch.load(sys.argv[1], weights_only=True)
state["convs"] = [t.float() for t in state["convs"]]
state["source"] += " (carried in float16)"
torch.save(state, sys.argv[2])
EOF

step correctness on "$device"
timeout 120 python3 "$here/benchmarks/cuda_check.py" --device "$device" --json "$out/cuda-check.json"

step speed.py on "$device"
flag=--cuda; [ "$device" = cpu ] && flag=""
precisions=float32,bfloat16,float16; [ "$device" = cpu ] && precisions=float32,bfloat16
timeout 200 python3 "$here/benchmarks/speed.py" $flag ${SPEED_ARGS:-} --sizes "$sizes" --precision "$precisions" \
  --json "$out/speed-$device.json" --label "gpu session"

step "texnet fill --tile ${BIG:-16384x16384} on $device"
timeout ${BIG_TIMEOUT:-150} python3 - "${BIG:-16384x16384}" "$device" <<'EOF'
import resource, subprocess, sys, time, tempfile, os
tile, device = sys.argv[1:3]
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "big.png")
    t = time.perf_counter()
    rc = subprocess.call([sys.executable, "-m", "texnet_cli.main", "fill", "--tile", tile,
                          "--device", device, "-o", out, "--progress", "none", "-q"])
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = os.path.getsize(out) if rc == 0 else 0
print(f"fill --tile {tile} --device {device}: rc {rc}, {wall:.1f} s, peak RSS {rss:.0f} MiB, "
      f"PNG {size / 1e6:.0f} MB")
import torch
from texturenet_plugin.synthesis.tile import sample_tile
from texturenet_plugin.zoo import local
w, h = map(int, tile.split("x"))
gen = local.load(None).build(device)
for precision in ("float32", "bfloat16"):
    t = time.perf_counter()
    sample_tile(gen, w, h, 0, precision=precision)
    print(f"  of which synthesis alone ({precision}, in-process, model loaded): "
          f"{time.perf_counter() - t:.1f} s")
EOF

runs=$(python3 -c 'from texturenet_plugin import env; print(env.runs_dir())')
for name in ${MODELS-mud burlwood rock}; do
  line=$(grep "^$name " "$here/tools/bundled_models.txt") || { echo "unknown model $name"; continue; }
  read -r _ file rest <<<"$line"
  title=${rest%%|*}; license=${rest#*|}
  budget=$(left)
  [ "$budget" -lt 60 ] && { echo "no time left to train $name"; break; }
  resume=""
  if [ -f "$carry/$name-checkpoint.pt" ]; then  # carried from an earlier, cut-off session
    mkdir -p "$runs/$name" && cp "$carry/$name-checkpoint.pt" "$runs/$name/checkpoint.pt"
    resume=--resume
  fi
  step "train $name (paper preset, vgg16-hed, colour term) for at most $budget s $resume"
  timeout -s INT "$budget" python3 -m texnet_cli.main train texture "$carry/$file" \
    --name "$name" --preset paper --descriptor vgg16-hed --color-weight 300 $resume \
    --title "$title" --license "$license" \
    ${ITERATIONS:+--iterations $ITERATIONS} ${BATCH:+--batch-size $BATCH} \
    --device "$device" --progress json -o "$out/$name-paper.tnet" 2>&1 \
    | awk 'NR % 100 == 1 || /error|Error|result/'
  # cut off: bring the checkpoint back, so a later session can carry it and --resume
  [ -f "$out/$name-paper.tnet" ] || cp "$runs/$name/checkpoint.pt" "$out/$name-checkpoint.pt"
done
step done
