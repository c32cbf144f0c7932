#!/usr/bin/env bash
# Train (or resume) every bundled texture model listed in tools/bundled_models.txt with the
# `cpu` preset, one at a time. Needs the vgg16-hed descriptor (`texnet descriptors pull vgg16-hed`).
#   bash tools/train_bundled.sh [OUT_DIR]      (default: texturenet_plugin/bundled)
# Lines: NAME EXEMPLAR TITLE|LICENSE ; exemplars are read from ../shared/corpus/textures/.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
out_dir=${1:-$here/texturenet_plugin/bundled}
corpus=$here/../shared/corpus/textures
runs=$(python -c 'from texturenet_plugin import config; print(config.runs_dir())')
while read -r name file rest; do
  title=${rest%%|*}; license=${rest#*|}
  [ -f "$out_dir/$name.tnet" ] && continue
  resume=""
  [ -f "$runs/$name/checkpoint.pt" ] && resume="--resume"
  texnet train texture "$corpus/$file" --name "$name" --preset cpu --title "$title" \
    --license "$license" -o "$out_dir/$name.tnet" $resume || exit $?
done < "$here/tools/bundled_models.txt"
