#!/usr/bin/env python3
"""texnet for GIMP 3: Filters > Render > Texture Fill and Learn Texture from Selection, and
Filters > Artistic > Stylize Layer.

A thin adapter (DESIGN.md §1): it reads the layer and the selection, writes them to PNG files
in a private temp folder, runs the engine's ``texnet`` CLI with ``--progress json`` (GIMP's
Python cannot import torch), follows its progress, and inserts the result as a new layer above
the active one inside one undo group. The original layer is never modified; on cancel or error
the image is left as it was. The GIMP-free logic lives in ``texnet_gimp_adapter.py`` and the
shared client ``texnet_client`` (docs/design.md). Texture Fill goes through the per-user warm
worker (``texnet serve --socket``) when it can, else a fresh engine process.
"""

from __future__ import annotations

import os
import shutil
import sys

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio, GLib, GObject  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import texnet_gimp_adapter as adapter  # noqa: E402

PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
FILL = "texnet-texture-fill"
STYLIZE = "texnet-stylize-layer"
LEARN = "texnet-learn-texture"
RW = GObject.ParamFlags.READWRITE


def _values(procedure, status, message: str = ""):
    error = GLib.Error(message) if message else GLib.Error()
    return procedure.new_return_values(status, error)


def _fail(procedure, message: str):
    return _values(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, message)


# --- pixels in and out ------------------------------------------------------------------------

def _depth(image) -> int:
    return adapter.png_depth(image.get_precision().value_nick)


def _write_drawable(drawable, path: str, box: tuple[int, int, int, int], channels: int,
                    depth: int) -> None:
    """Write ``box`` = (x, y, w, h), in the drawable's own coordinates, as a PNG (transparent
    or zero where the box leaves the drawable)."""
    x, y, w, h = box
    data = drawable.get_buffer().get(Gegl.Rectangle.new(x, y, w, h), 1.0,
                                     adapter.babl_format(channels, depth),
                                     Gegl.AbyssPolicy.NONE)
    adapter.write_png(path, w, h, channels, depth, bytes(data))


def _export_fill_inputs(image, layer, image_path: str, mask_path: str) -> None:
    """The layer placed on the canvas (RGBA) and the selection, or the layer's rectangle when
    nothing is selected, as a canvas-sized grey mask (soft edges kept)."""
    width, height, depth = image.get_width(), image.get_height(), _depth(image)
    _, ox, oy = layer.get_offsets()
    _write_drawable(layer, image_path, (-ox, -oy, width, height), 4, depth)
    if Gimp.Selection.is_empty(image):
        box = (ox, oy, layer.get_width(), layer.get_height())
        adapter.write_png(mask_path, width, height, 1, depth,
                          adapter.rect_mask(width, height, box, depth))
    else:
        _write_drawable(image.get_selection(), mask_path, (0, 0, width, height), 1, depth)


def _insert_result(image, above, path: str, name: str, offsets: tuple[int, int],
                   clip_to_selection: bool):
    """Load PATH as a new layer above ``above`` (one undo step); returns the layer."""
    layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, image,
                                 Gio.File.new_for_path(path))
    image.undo_group_start()
    try:
        layer.set_name(name)
        image.insert_layer(layer, above.get_parent(), image.get_item_position(above))
        layer.set_offsets(*offsets)
        if clip_to_selection and not Gimp.Selection.is_empty(image):
            layer.add_mask(layer.create_mask(Gimp.AddMaskType.SELECTION))
        image.set_selected_layers([layer])
    finally:
        image.undo_group_end()
    Gimp.displays_flush()
    return layer


# --- running the engine -----------------------------------------------------------------------

def _run_with_progress(argv: list[str], title: str, folder: str,
                       request: dict | None = None) -> adapter.Outcome:
    Gimp.progress_init(title)

    def on_event(event: adapter.Event) -> None:
        if event.kind != "progress":
            return
        if event.text:
            Gimp.progress_set_text(f"texnet: {event.text}")
        if event.fraction is not None:
            Gimp.progress_update(event.fraction)
        else:
            Gimp.progress_pulse()

    outcome = adapter.run_engine(argv, on_event, request=request, folder=folder)
    Gimp.progress_end()
    return outcome


def _single_layer(procedure, drawables):
    if len(drawables) != 1 or not isinstance(drawables[0], Gimp.Layer):
        return None, _values(procedure, Gimp.PDBStatusType.CALLING_ERROR,
                             "select exactly one layer (not a mask or channel)")
    return drawables[0], None


def _engine(procedure):
    try:
        return adapter.find_engine(PLUGIN_DIR), None
    except adapter.EngineNotFound as exc:
        Gimp.message(str(exc))
        return None, _fail(procedure, str(exc))


def _finish(procedure, outcome: adapter.Outcome, insert):
    """Map an engine Outcome to GIMP's return values, inserting the result on success."""
    if outcome.status == adapter.CANCEL:
        return _values(procedure, Gimp.PDBStatusType.CANCEL)
    if outcome.status == adapter.ERROR:
        return _fail(procedure, f"texnet: {outcome.message}")
    try:
        insert(outcome.path)
    except GLib.Error as exc:
        return _fail(procedure, f"cannot load texnet's result {outcome.path}: {exc.message}")
    return _values(procedure, Gimp.PDBStatusType.SUCCESS)


def _prepare(procedure, run_mode, drawables, config, kind):
    """What both procedures do first: one layer, an engine, and (interactively) the dialog.
    Returns (layer, engine, None) or (…, the procedure's return values) to end with."""
    layer, error = _single_layer(procedure, drawables)
    if error:
        return None, None, error
    engine, error = _engine(procedure)
    if error:
        return layer, None, error
    if run_mode == Gimp.RunMode.INTERACTIVE and not _dialog(procedure, config, engine, kind):
        return layer, engine, _values(procedure, Gimp.PDBStatusType.CANCEL)
    return layer, engine, None


def run_fill(procedure, run_mode, image, drawables, config, data):
    layer, engine, error = _prepare(procedure, run_mode, drawables, config, "texture")
    if error:
        return error
    opts = adapter.FillOptions(model=config.get_property("model"),
                               seed=config.get_property("seed"),
                               scale=config.get_property("scale"),
                               match_colors=config.get_property("match-colors"))
    folder = adapter.work_folder()
    try:
        src, mask, out = (os.path.join(folder, f"{n}.png") for n in ("image", "mask", "layer"))
        _export_fill_inputs(image, layer, src, mask)
        outcome = _run_with_progress(adapter.fill_args(engine, src, mask, out, opts),
                                     "Texture Fill", folder,
                                     adapter.fill_request(src, mask, out, opts))
        name = adapter.layer_name(opts.model, "fill")
        return _finish(procedure, outcome,
                       lambda path: _insert_result(image, layer, path, name, (0, 0), False))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_stylize(procedure, run_mode, image, drawables, config, data):
    layer, engine, error = _prepare(procedure, run_mode, drawables, config, "style")
    if error:
        return error
    opts = adapter.StylizeOptions(model=config.get_property("model"),
                                  strength=config.get_property("strength"),
                                  keep_colors=config.get_property("keep-colors"),
                                  seed=config.get_property("seed"))
    folder = adapter.work_folder()
    try:
        src, out = os.path.join(folder, "layer.png"), os.path.join(folder, "styled.png")
        try:
            argv = adapter.stylize_args(engine, src, out, opts)
        except ValueError as exc:
            return _values(procedure, Gimp.PDBStatusType.CALLING_ERROR, str(exc))
        _write_drawable(layer, src, (0, 0, layer.get_width(), layer.get_height()), 4,
                        _depth(image))
        outcome = _run_with_progress(argv, "Stylize Layer", folder)
        _, ox, oy = layer.get_offsets()
        return _finish(procedure, outcome, lambda path: _insert_result(
            image, layer, path, adapter.layer_name(opts.model, "style"), (ox, oy), True))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the dialog -------------------------------------------------------------------------------

def _dialog(procedure, config, engine: str, kind: str) -> bool:
    """GimpUi's procedure dialog plus a model combo filled from ``texnet models list --json``
    (editable, so a model file path or a not-yet-pulled name can be typed)."""
    gi.require_version("GimpUi", "3.0")
    gi.require_version("Gtk", "3.0")
    from gi.repository import GimpUi, Gtk

    GimpUi.init("texnet-gimp")
    if kind == "learn":
        dialog = GimpUi.ProcedureDialog.new(procedure, config, "Learn Texture from Selection")
        dialog.fill(["name", "preset", "iterations", "element-size"])
        accepted = dialog.run()
        dialog.destroy()
        return bool(accepted)
    title = "Texture Fill" if kind == "texture" else "Stylize Layer"
    dialog = GimpUi.ProcedureDialog.new(procedure, config, title)
    others = (["seed", "scale", "match-colors"] if kind == "texture"
              else ["strength", "seed", "keep-colors"])
    dialog.fill(others)
    combo = Gtk.ComboBoxText.new_with_entry()
    for name in adapter.list_models(engine, kind):
        combo.append_text(name)
    config.bind_property("model", combo.get_child(), "text",
                         GObject.BindingFlags.BIDIRECTIONAL | GObject.BindingFlags.SYNC_CREATE)
    row = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=12)
    row.pack_start(Gtk.Label(label="_Model", use_underline=True, mnemonic_widget=combo),
                   False, False, 0)
    row.pack_start(combo, True, True, 0)
    area = dialog.get_content_area()
    area.pack_start(row, False, False, 0)
    area.reorder_child(row, 0)
    row.show_all()
    accepted = dialog.run()
    dialog.destroy()
    return bool(accepted)


# --- Learn Texture from Selection -------------------------------------------------------------

def run_learn(procedure, run_mode, image, drawables, config, data):
    """Train a texture model from the selected pixels of the layer (the whole layer when
    nothing is selected); the model lands in the user's models, listed by Texture Fill."""
    layer, engine, error = _prepare(procedure, run_mode, drawables, config, "learn")
    if error:
        return error
    opts = adapter.LearnOptions(name=config.get_property("name"),
                                preset=config.get_property("preset"),
                                iterations=config.get_property("iterations"),
                                element_size=config.get_property("element-size"))
    folder = adapter.work_folder()
    src, mask = os.path.join(folder, "image.png"), os.path.join(folder, "mask.png")
    try:
        argv = adapter.learn_args(engine, src, mask, opts)
    except ValueError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return _values(procedure, Gimp.PDBStatusType.CALLING_ERROR, str(exc))
    try:
        _export_fill_inputs(image, layer, src, mask)
        outcome = _run_with_progress(argv, f"Learning texture {opts.name}", folder)
        return _finish(procedure, outcome, lambda path: Gimp.message(
            f"texnet: learnt {opts.name}; it is in Texture Fill's model list"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- registration -----------------------------------------------------------------------------

def _engine_limits():
    """The engine's ranges (``texnet limits --json``); the client's fallbacks without one."""
    try:
        return adapter.client.engine_limits(adapter.find_engine(PLUGIN_DIR))
    except adapter.EngineNotFound:
        return adapter.client.Limits()


def _fill_arguments(proc, limits) -> None:
    proc.set_menu_label("_Texture Fill...")
    proc.add_menu_path("<Image>/Filters/Render")
    proc.set_documentation(
        "Fill the selection with a texture from a texnet model",
        "Fills the selection (or the whole layer when nothing is selected) with a texture "
        "generated by a texnet model, as a new layer. The texture is laid out in canvas "
        "coordinates, so fills with the same seed line up seamlessly.", FILL)
    proc.add_string_argument("model", "_Model", "Model name or .tnet path",
                             limits.default_model, RW)
    proc.add_int_argument("seed", "R_andom seed", "Random seed", 0, limits.seed_max, 0, RW)
    proc.add_double_argument("scale", "Texture si_ze",
                             "Size of texture elements (1 = as trained)", limits.scale_min,
                             limits.scale_max, 1.0, RW)
    proc.add_boolean_argument("match-colors", "Match colo_urs", "Match the fill's colours to "
                              "the pixels around the selection", False, RW)


def _stylize_arguments(proc, limits) -> None:
    proc.set_menu_label("_Stylize Layer...")
    proc.add_menu_path("<Image>/Filters/Artistic")
    proc.set_documentation(
        "Render the layer in a painting's style with a texnet model",
        "Stylizes the active layer with a texnet style model, as a new layer (masked to the "
        "selection when there is one).", STYLIZE)
    proc.add_string_argument("model", "_Model", "Style model name or .tnet path", "", RW)
    proc.add_double_argument("strength", "S_trength", "Noise magnitude k: more style, less "
                             "content", 0.0, limits.strength_max, 1.0, RW)
    proc.add_int_argument("seed", "R_andom seed", "Random seed", 0, limits.seed_max, 0, RW)
    proc.add_boolean_argument("keep-colors", "_Keep colours",
                              "Transfer luminance only; keep the layer's colours", False, RW)


def _learn_arguments(proc, limits) -> None:
    proc.set_menu_label("_Learn Texture from Selection...")
    proc.add_menu_path("<Image>/Filters/Render")
    proc.set_documentation(
        "Train a texnet texture model from the selected pixels",
        "Learns a texture from the selection of the layer (only the selected pixels count) and "
        "adds it to the models Texture Fill offers. Training runs in the engine; GIMP stays "
        "usable meanwhile, and cancelling leaves no model.", LEARN)
    proc.add_string_argument("name", "_Name", "Name of the new model", "my-texture", RW)
    proc.add_string_argument("preset", "_Preset", "Training schedule: quick (minutes) or cpu "
                             "(better, longer)", "quick", RW)
    proc.add_int_argument("iterations", "_Iterations", "Training steps (0: the preset's)", 0,
                          1_000_000, 0, RW)
    proc.add_double_argument("element-size", "_Element size",
                             "Size of the texture elements learnt (2 = twice the selection's)",
                             limits.exemplar_scale_min, limits.exemplar_scale_max, 1.0, RW)


class TexnetPlugIn(Gimp.PlugIn):
    def do_query_procedures(self):
        return [FILL, STYLIZE, LEARN]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        run = {FILL: run_fill, STYLIZE: run_stylize, LEARN: run_learn}[name]
        proc = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run, None)
        proc.set_image_types("RGB*, GRAY*")
        proc.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        proc.set_attribution("texnet", "texnet contributors", "2026")
        add = {FILL: _fill_arguments, STYLIZE: _stylize_arguments, LEARN: _learn_arguments}
        add[name](proc, _engine_limits())
        return proc


Gimp.main(TexnetPlugIn.__gtype__, sys.argv)
