#!/usr/bin/env bash
# Screenshot of the texnet docker in the real Krita GUI (Xvfb) after Fill Selection, for the
# README: a corpus photo, a rectangle filled with the bundled `pebbles`.
#   bash tests/apps/krita_screenshot.sh [OUT.png]    (default docs/krita-docker.png)
# Needs ../shared/apps/krita.sh and its setup (as tests/test_krita_e2e.py). The test plug-in
# tests/apps/krita_gui drives the docker; it goes on to its other steps after the screenshot.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(realpath -m "${1:-$REPO/docs/krita-docker.png}")
KRITA_SH=${TEXNET_KRITA_SH:-$REPO/../shared/apps/krita.sh}
PHOTO=${TEXNET_SHOT_PHOTO:-$REPO/../shared/corpus/content/Chenonceau.png}
WORK=$(mktemp -d /tmp/texnet-kshot.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python - "$PHOTO" "$WORK" <<'PY'
import json, sys
from PIL import Image
photo, work = sys.argv[1], sys.argv[2]
image = Image.open(photo).convert("RGBA")
image = image.resize((560, round(560 * image.height / image.width)), Image.LANCZOS)
image.save(f"{work}/scene.png")
w, h = image.size
config = {"out": work, "image": f"{work}/scene.png",
          "select": [w // 8, h * 11 // 20, w * 3 // 4, h * 2 // 5],
          "model": "pebbles", "seed": 3, "cancel_side": 2048, "style_model": "vangogh-auvers"}
with open(f"{work}/config.json", "w") as handle:
    json.dump(config, handle)
PY
texnet plugins install krita --dest "$WORK/pykrita" >/dev/null
cp -r "$REPO/tests/apps/krita_gui/." "$WORK/pykrita/"
TEXNET_HOME="$WORK/texnet-home" TEXNET_OFFLINE=1 bash "$KRITA_SH" gui "$WORK/pykrita" \
  texnet_docker,texnet_gui_test "TEXNET_GUI_CONFIG=$WORK/config.json" >"$WORK/krita.log" 2>&1 || true
[ -s "$WORK/window.png" ] || { echo "no screenshot; krita log:" >&2; tail -20 "$WORK/krita.log" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
cp "$WORK/window.png" "$OUT"
echo "wrote $OUT"
