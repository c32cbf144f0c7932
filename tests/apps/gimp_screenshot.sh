#!/usr/bin/env bash
# Screenshot of a texnet dialog in the real GIMP 3 (Xvfb), for the README.
#   bash tests/apps/gimp_screenshot.sh [OUT.png]    (default docs/gimp-texture-fill-dialog.png)
#   TEXNET_SHOT_PROC=texnet-learn-texture TEXNET_SHOT_TITLE="Learn Texture from Selection" \
#     bash tests/apps/gimp_screenshot.sh docs/gimp-learn-dialog.png
# Needs root, ../shared/apps/gimp3.sh (its chroot), and on the host: Xvfb, xwininfo (x11-utils),
# xwd (x11-apps), xwdtopnm (netpbm), xdotool. The dialog is dismissed afterwards.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(realpath -m "${1:-$REPO/docs/gimp-texture-fill-dialog.png}")
GIMP3_SH=${TEXNET_GIMP3_SH:-$REPO/../shared/apps/gimp3.sh}
DPY=:${TEXNET_SHOT_DISPLAY:-77}
TITLE=${TEXNET_SHOT_TITLE:-Texture Fill}
PROC=${TEXNET_SHOT_PROC:-texnet-texture-fill}
WORK=$(mktemp -d /tmp/texnet-shot.XXXXXX); export WORK
Xvfb "$DPY" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 & XVFB=$!
trap 'kill $XVFB 2>/dev/null || true; rm -rf "$WORK"' EXIT
python - "$WORK/photo.png" <<'PY'
import sys
import numpy as np
from PIL import Image
yy, xx = np.mgrid[0:160, 0:240]
rgb = np.stack([120 + xx // 4, 140 + yy // 3, 200 - xx // 3], axis=-1).astype(np.uint8)
Image.fromarray(rgb).save(sys.argv[1])
PY
texnet plugins install gimp --dest "$WORK/plug-ins" >/dev/null
ENGINE=$(python -c "from texnet_cli.plugins_common import engine_path; print(engine_path())")
(
  trap - EXIT  # the watcher must not run the clean-up
  export DISPLAY="$DPY"  # xdotool has no -display option
  for _ in $(seq 900); do
    if xwininfo -display "$DPY" -name "$TITLE" >/dev/null 2>&1; then
      sleep 2  # let the model list arrive and the dialog settle
      xwd -display "$DPY" -name "$TITLE" -silent > "$WORK/shot.xwd"
      # Escape cancels the dialog (no window manager: give it the focus first).
      wid=$(xdotool search --onlyvisible --name "^$TITLE\$" | head -1)
      xdotool windowfocus --sync "$wid" key Escape 2>/dev/null || true
      sleep 3
      if xwininfo -display "$DPY" -name "$TITLE" >/dev/null 2>&1; then
        # Escape did not reach it: end the GIMP that owns the dialog.
        pid=$(xdotool search --name "^$TITLE\$" getwindowpid 2>/dev/null | head -1)
        [ -n "$pid" ] && kill "$pid"
      fi
      exit 0
    fi
    sleep 0.2
  done
) & WATCH=$!
TEXNET="$REPO/tests/apps/host_texnet.sh" flock /tmp/texnet-gimp3.lock \
  bash "$GIMP3_SH" run "$WORK/plug-ins/texnet-gimp" "$REPO/tests/apps/gimp_dialog_driver.py" \
  DISPLAY="$DPY" TEXNET_E2E_ENGINE="$ENGINE" TEXNET_SHOT_PROC="$PROC" || true
wait $WATCH || true
[ -s "$WORK/shot.xwd" ] || { echo "no dialog appeared" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
xwdtopnm "$WORK/shot.xwd" 2>/dev/null | python -c \
  "import sys; from PIL import Image; Image.open(sys.stdin.buffer).save(sys.argv[1])" "$OUT"
echo "dialog status: $(cat "$WORK/dialog-status.txt" 2>/dev/null || echo none); wrote $OUT"
