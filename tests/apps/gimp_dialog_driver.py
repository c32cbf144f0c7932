"""Driver for tests/apps/gimp_screenshot.sh: opens $WORK/photo.png, selects an ellipse and runs
$TEXNET_SHOT_PROC (default Texture Fill) interactively, so its dialog appears on $DISPLAY
(gimp-console, plug-in GUI)."""

import os

from gi.repository import Gimp, Gio

WORK = os.environ["WORK"]
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                       Gio.File.new_for_path(os.path.join(WORK, "photo.png")))
image.select_ellipse(Gimp.ChannelOps.REPLACE, 40, 30, 160, 100)
proc = Gimp.get_pdb().lookup_procedure(os.environ.get("TEXNET_SHOT_PROC", "texnet-texture-fill"))
cfg = proc.create_config()
cfg.set_property("run-mode", Gimp.RunMode.INTERACTIVE)
cfg.set_property("image", image)
cfg.set_core_object_array("drawables", image.get_layers()[:1])
result = proc.run(cfg)
with open(os.path.join(WORK, "dialog-status.txt"), "w") as fh:
    fh.write(result.index(0).value_nick)
