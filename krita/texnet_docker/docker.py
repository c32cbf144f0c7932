"""The "Texture Networks" docker: model picker with previews, seed, scale, strength, the
Fill Selection / Tile Layer / Stylize Layer buttons, Learn from Selection (name, preset),
progress, Cancel and a status line.

All engine work runs in QProcesses: fills and stylizations go to one warm ``texnet serve``
kept for the docker's lifetime (warm.py), falling back to a fresh process (job.py); training
and queries are fresh processes. The UI thread only exports pixels before and inserts the new
layer after, so the user keeps painting. The Scale and Strength ranges come from the engine
(``texnet limits --json``). Widgets carry object names (``texnet_fill`` …) for tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from krita import DockWidget, Krita
from PyQt5.QtCore import QStandardPaths, Qt, QTimer
from PyQt5.QtGui import QIcon, QPixmap
from PyQt5.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                             QLineEdit, QProgressBar, QPushButton, QSizePolicy, QSpinBox,
                             QVBoxLayout, QWidget)

from . import layers
from .adapter import (MAX_SEED, EngineNotFound, Limits, Settings, client, find_engine,
                      limits_args, models_args, new_seed, parse_limits, parse_models,
                      previews_args, progress_text)
from .job import KILL_AFTER_MS, TRAIN_KILL_AFTER_MS, EngineJob
from .warm import WarmJob, WarmWorker
from .plugin import DOCKER_ID, DOCKER_TITLE

PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
PREVIEW_SIZE = 48
# Preselected until the user picks another: the engine's default model
# (texturenet_plugin.limits.DEFAULT_MODEL; tests/cli/test_first_contact.py keeps them equal).
DEFAULT_MODEL = "pebbles"


def _button(name: str, text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    return button


class TexnetDocker(DockWidget):
    """The docker Krita creates once per main window."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName(DOCKER_ID)
        self.setWindowTitle(DOCKER_TITLE)
        self.job: EngineJob | None = None
        # True while a finished job's result is handled (inserting a layer lets Krita process
        # events, timers included): the docker is not idle until the status says the outcome.
        self.finishing = False
        self.models = []
        self.limits = Limits()
        self.warm: WarmWorker | None = None
        self._build()
        self._update_buttons()
        QTimer.singleShot(0, self.refresh_limits)

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        root = QWidget(self)
        form = QFormLayout()
        self._sample_rows(form)
        self.fill = _button("texnet_fill", "Fill Selection", "Fill the selection with texture "
                            "on a new layer")
        self.tile = _button("texnet_tile", "Tile Layer", "A new layer covered with a seamless "
                            "tile of the canvas size")
        self.stylize = _button("texnet_stylize", "Stylize Layer", "A stylized copy of the "
                               "active layer, as a new layer")
        self._learn_row(form)
        self.cancel = _button("texnet_cancel", "Cancel", "Stop the running job")
        self.progress = QProgressBar(objectName="texnet_progress")
        self.progress.setRange(0, 100)
        self.status = QLabel("", objectName="texnet_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        box = QVBoxLayout(root)
        box.addLayout(form)
        box.addLayout(self._row_layout(self.fill, self.tile, self.stylize))
        box.addWidget(self.learn)
        box.addLayout(self._row_layout(self.progress, self.cancel))
        box.addWidget(self.status)
        box.addStretch(1)
        self.setWidget(root)
        self._connect()

    def _sample_rows(self, form: QFormLayout) -> None:
        """Model (with reload), seed (with a new one), scale and strength."""
        self.model = QComboBox(objectName="texnet_model")
        self.model.setIconSize(QPixmap(PREVIEW_SIZE, PREVIEW_SIZE).size())
        self.model.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.model.currentIndexChanged.connect(self._update_buttons)
        self.refresh = _button("texnet_refresh", "↻", "Reload the list of models")
        self.refresh.setMaximumWidth(32)
        form.addRow("Model", self._row(self.model, self.refresh))
        self.seed = QSpinBox(objectName="texnet_seed")
        self.seed.setRange(0, MAX_SEED)
        self.new_seed = _button("texnet_new_seed", "New seed", "A different sample")
        form.addRow("Seed", self._row(self.seed, self.new_seed))
        self.scale = self._spin("texnet_scale", 0.25, 8.0, 0.25, 1.0,
                                "Texture element size: 2 makes elements twice as large")
        form.addRow("Scale", self.scale)
        self.strength = self._spin("texnet_strength", 0.0, 10.0, 0.1, 1.0,
                                   "Style models: noise magnitude (more style, less content)")
        form.addRow("Strength", self.strength)

    def _learn_row(self, form: QFormLayout) -> None:
        """The new model's name, preset, iterations and scale, and the Learn button."""
        self.learn_name = QLineEdit("my-texture", objectName="texnet_learn_name")
        self.learn_preset = QComboBox(objectName="texnet_learn_preset")
        self.learn_preset.addItems(list(client.PRESETS))
        self.learn_iterations = QSpinBox(objectName="texnet_learn_iterations")
        self.learn_iterations.setRange(0, 1_000_000)
        self.learn_iterations.setSpecialValueText("preset's")
        self.learn_scale = self._spin("texnet_learn_scale", 0.25, 4.0, 0.25, 1.0,
                                      "Element size learnt: 2 = twice the selection's")
        self.learn = _button("texnet_learn", "Learn from Selection", "Train a texture model "
                             "from the selected pixels, in the background")
        form.addRow("New model", self._row(self.learn_name, self.learn_preset,
                                           self.learn_iterations, self.learn_scale))

    def _connect(self) -> None:
        self.refresh.clicked.connect(self.refresh_models)
        self.new_seed.clicked.connect(lambda: self.seed.setValue(new_seed()))
        self.fill.clicked.connect(lambda: self.run_operation(layers.prepare_fill))
        self.tile.clicked.connect(lambda: self.run_operation(layers.prepare_tile))
        self.stylize.clicked.connect(lambda: self.run_operation(layers.prepare_stylize))
        self.learn.clicked.connect(self.learn_texture)
        self.cancel.clicked.connect(self.cancel_job)

    @staticmethod
    def _spin(name, low, high, step, value, tip) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(objectName=name)
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    @staticmethod
    def _row_layout(*widgets) -> QHBoxLayout:
        row = QHBoxLayout()
        for widget in widgets:
            row.addWidget(widget)
        return row

    def _row(self, *widgets) -> QWidget:
        holder = QWidget()
        row = self._row_layout(*widgets)
        row.setContentsMargins(0, 0, 0, 0)
        holder.setLayout(row)
        return holder

    def canvasChanged(self, canvas) -> None:  # required by DockWidget
        pass

    # ------------------------------------------------------------------ state
    def busy(self) -> bool:
        return self.job is not None or self.finishing

    def settings(self) -> Settings:
        index = self.model.currentIndex()
        lattice = self.models[index].lattice if 0 <= index < len(self.models) else 32
        return Settings(model=self.model.currentData() or None, seed=self.seed.value(),
                        scale=self.scale.value(), strength=self.strength.value(),
                        lattice=lattice, limits=self.limits)

    def _current_kind(self) -> str | None:
        index = self.model.currentIndex()
        return self.models[index].kind if 0 <= index < len(self.models) else None

    def _update_buttons(self, *_) -> None:
        kind, idle = self._current_kind(), self.job is None
        self.fill.setEnabled(idle and kind in (None, "texture"))
        self.tile.setEnabled(idle and kind in (None, "texture"))
        self.stylize.setEnabled(idle and kind == "style")
        self.scale.setEnabled(kind in (None, "texture"))
        self.strength.setEnabled(kind == "style")
        self.learn.setEnabled(idle)
        self.cancel.setEnabled(not idle)
        self.refresh.setEnabled(idle)

    def say(self, text: str) -> None:
        self.status.setText(text)

    # ------------------------------------------------------------------ engine runs
    def _start(self, args, on_done, request=None, training: bool = False) -> bool:
        """Run ``request`` on the warm worker (``args`` as a fresh process if it fails), or
        ``args`` as a fresh process."""
        try:
            engine = find_engine(plugin_dir=PLUGIN_DIR)
        except EngineNotFound as exc:
            self.say(str(exc))
            return False
        if request is not None and client.warm_enabled():
            if self.warm is None or self.warm.engine != engine:
                self.warm = WarmWorker(engine, self)
            self.job = WarmJob(self.warm, request, self)
        else:
            self.job = EngineJob(engine, args, self,
                                 TRAIN_KILL_AFTER_MS if training else KILL_AFTER_MS)

        def done(outcome, job=self.job):
            if getattr(job, "fallback", False):  # the worker failed: a fresh process instead
                self.job.deleteLater()
                self.job = None
                self._start(args, on_done)
            else:
                self._on_finished(outcome, on_done)

        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(done)
        self.progress.setValue(0)
        self._update_buttons()
        self.job.start()
        return True

    def _on_progress(self, event) -> None:
        if event.percent is None:
            self.progress.setRange(0, 0)  # busy indicator
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(event.percent)
        self.say(progress_text(event))

    def _on_finished(self, outcome, on_done) -> None:
        self.job.deleteLater()
        self.job = None
        self.progress.setRange(0, 100)
        self.progress.setValue(100 if outcome.ok else 0)
        self.finishing = True
        try:
            on_done(outcome)
        finally:
            self.finishing = False
            self._update_buttons()

    def cancel_job(self) -> None:
        if self.job is not None:
            self.say("cancelling…")
            self.job.cancel()

    def run_operation(self, prepare) -> None:
        """Export what ``prepare`` needs, run the engine, insert its result as a layer."""
        if self.job is not None:
            return
        doc = Krita.instance().activeDocument()
        if doc is None:
            self.say("open an image first")
            return
        folder = client.work_folder("texnet-krita-")
        above = doc.activeNode()
        try:
            job = prepare(doc, folder, self.settings())
        except Exception as exc:  # noqa: BLE001 (the status line, not Krita's crash dialog)
            shutil.rmtree(folder, ignore_errors=True)
            self.say(str(exc) if isinstance(exc, layers.LayerError) else
                     f"could not export the image: {type(exc).__name__}: {exc}")
            return
        self.say("starting texnet…")
        if not self._start(job.args, lambda outcome: self._insert(doc, job, above, folder,
                                                                   outcome), job.request):
            shutil.rmtree(folder, ignore_errors=True)

    def learn_texture(self) -> None:
        """Train a model from the selection in the background; it joins the list when done."""
        doc = Krita.instance().activeDocument()
        if self.job is not None or doc is None:
            self.say("open an image first" if doc is None else self.status.text())
            return
        folder = client.work_folder("texnet-krita-")
        try:
            job = layers.prepare_learn(doc, folder, self.learn_name.text(),
                                       self.learn_preset.currentText(),
                                       self.learn_iterations.value(),
                                       self.learn_scale.value())
        except Exception as exc:  # noqa: BLE001 (the status line, not Krita's crash dialog)
            shutil.rmtree(folder, ignore_errors=True)
            self.say(str(exc) if isinstance(exc, (layers.LayerError, ValueError)) else
                     f"could not export the image: {type(exc).__name__}: {exc}")
            return
        self.say(f"learning {job.layer_name}…")
        if not self._start(job.args, lambda outcome: self._learnt(job.layer_name, folder,
                                                                  outcome), training=True):
            shutil.rmtree(folder, ignore_errors=True)

    def _learnt(self, name: str, folder: str, outcome) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if not outcome.ok:
            self.say(outcome.message)
            return
        self.say(f"learnt “{name}”")
        self.wanted = name
        QTimer.singleShot(0, self.refresh_models)

    def _insert(self, doc, job, above, folder, outcome) -> None:
        try:
            if outcome.ok:
                layer = layers.finish(doc, job, above)
                self.say(f"added layer “{layer.name()}”")
            else:
                self.say(outcome.message)
        except Exception as exc:  # noqa: BLE001 (e.g. the document was closed meanwhile)
            self.say(str(exc) if isinstance(exc, layers.LayerError) else
                     f"could not insert the result: {type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # ------------------------------------------------------------------ limits, models
    def refresh_limits(self) -> None:
        if self.job is None and not self._start(limits_args(), self._on_limits):
            self.refresh_models()

    def _on_limits(self, outcome) -> None:
        """The engine's ranges for Scale and Strength; the client's fallbacks otherwise."""
        self.limits = parse_limits(outcome.stdout) if outcome.ok else Limits()
        self.scale.setRange(self.limits.scale_min, self.limits.scale_max)
        self.strength.setRange(0.0, self.limits.strength_max)
        self.learn_scale.setRange(self.limits.exemplar_scale_min, self.limits.exemplar_scale_max)
        QTimer.singleShot(0, self.refresh_models)

    def refresh_models(self) -> None:
        if self.job is None:
            self._start(models_args(), self._on_models)

    def _on_models(self, outcome) -> None:
        if not outcome.ok:
            self.say(f"cannot list models: {outcome.message}")
            return
        chosen = getattr(self, "wanted", None) or self.model.currentData()
        self.wanted = None
        self.models = parse_models(outcome.stdout)
        self.model.blockSignals(True)
        self.model.clear()
        for info in self.models:
            self.model.addItem(info.title, info.name)
            self.model.setItemData(self.model.count() - 1, f"{info.name}: {info.kind} model",
                                   Qt.ToolTipRole)
        index = self.model.findData(chosen or DEFAULT_MODEL)
        self.model.setCurrentIndex(max(index, 0))
        self.model.blockSignals(False)
        self._update_buttons()
        if not self.models:
            self.say("no models found: train one with `texnet train texture`")
            return
        count = len(self.models)
        self.say(f"{count} model{'s' if count != 1 else ''} available")
        self._start(previews_args(self._preview_dir(), [m.name for m in self.models]),
                    self._on_previews)

    @staticmethod
    def _preview_dir() -> str:
        base = QStandardPaths.writableLocation(QStandardPaths.CacheLocation)
        return os.path.join(base or tempfile.gettempdir(), "texnet-previews")

    def _on_previews(self, outcome) -> None:
        if not outcome.ok:  # previews are a nicety: keep the list, say why they are missing
            self.say(f"no previews: {outcome.message}")
            return
        folder = self._preview_dir()
        for index, info in enumerate(self.models):
            path = os.path.join(folder, f"{info.name}.png")
            if os.path.isfile(path):
                self.model.setItemIcon(index, QIcon(QPixmap(path)))
