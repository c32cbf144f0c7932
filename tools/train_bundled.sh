#!/usr/bin/env bash
# Train (or resume) the bundled texture models listed in tools/bundled_models.txt, one at a
# time, from the exemplars in exemplars/. Needs the vgg16 descriptor (`texnet descriptors pull
# vgg16`). Models already in OUT_DIR are skipped, so a cut-off run continues where it stopped.
#   bash tools/train_bundled.sh [OUT_DIR] [NAME ...]   (default: texturenet_plugin/bundled, all)
# Extra `texnet train texture` options go in TRAIN_ARGS, e.g. TRAIN_ARGS="--preset paper".
# INIT_FROM=DIR continues each model from DIR/NAME.tnet (or the bundled one when DIR has none)
# with the refine preset: INIT_FROM=/tmp/base bash tools/train_bundled.sh /tmp/refined sand
# Lines of bundled_models.txt: NAME EXEMPLAR TITLE|LICENSE
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
out_dir=${1:-$here/texturenet_plugin/bundled}
shift || true
only=" $* "
runs=$(python -c 'from texturenet_plugin import env; print(env.runs_dir())')
while read -r name file rest; do
  [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
  title=${rest%%|*}; license=${rest#*|}
  [ -f "$out_dir/$name.tnet" ] && continue
  resume="--restart"
  [ -f "$runs/$name/checkpoint.pt" ] && resume="--resume"
  stage=(--preset cpu)
  if [ -n "${INIT_FROM:-}" ]; then
    init="$INIT_FROM/$name.tnet"
    [ -f "$init" ] || init="$here/texturenet_plugin/bundled/$name.tnet"
    stage=(--preset refine --init "$init")
  fi
  # shellcheck disable=SC2086
  texnet train texture "$here/exemplars/$file" --name "$name" "${stage[@]}" --title "$title" \
    --license "$license" -o "$out_dir/$name.tnet" $resume ${TRAIN_ARGS:-} || exit $?
done < "$here/tools/bundled_models.txt"
