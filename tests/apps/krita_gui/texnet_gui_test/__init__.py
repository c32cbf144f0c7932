"""A test plug-in that drives the texnet docker in the real Krita GUI (under Xvfb) for
tests/test_krita_e2e.py. Configured by the JSON file in $TEXNET_GUI_CONFIG.

Steps, each on a Qt timer so the UI thread never blocks: open the image, select a rectangle
with a soft rim, pick the model and seed, click Fill Selection, poll until the docker is idle
(counting timer ticks to show the UI kept running), dump pixels, export, screenshot, undo;
then Stylize Layer with a style model; then Tile Layer on a large canvas, Cancel after the
first synthesis progress, check nothing was added; then (with ``learn`` in the config) Learn
from Selection, fill another selection with the new model twice (warm worker), and cancel a
second learning mid-way. Writes report.json and ends Krita with
os._exit (no "save changes?" prompt).
"""

from __future__ import annotations

import json
import os
import time
import traceback

from krita import Extension, InfoObject, Krita, Selection
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import (QApplication, QComboBox, QDoubleSpinBox, QLineEdit, QPushButton,
                             QSpinBox)

POLL_MS = 50
with open(os.environ["TEXNET_GUI_CONFIG"], encoding="utf-8") as _handle:
    CONFIG = json.load(_handle)
OUT = CONFIG["out"]


def soft_selection(width: int, height: int, box, rim: int = 2) -> Selection:
    x0, y0, w, h = box
    data = bytearray(width * height)
    for y in range(y0, y0 + h):
        for x in range(x0, x0 + w):
            inner = x0 + rim <= x < x0 + w - rim and y0 + rim <= y < y0 + h - rim
            data[y * width + x] = 255 if inner else 128
    selection = Selection()
    selection.setPixelData(bytes(data), 0, 0, width, height)
    return selection


def trace(line: str) -> None:
    """Progress of the driver, for when Krita hangs before the report is written."""
    with open(os.path.join(OUT, "trace.log"), "a", encoding="utf-8") as handle:
        handle.write(f"{time.strftime('%H:%M:%S')} {line}\n")


class Waiter:
    """Calls ``then`` once ``condition()`` holds, polling on a timer; records the longest gap
    between ticks (a blocked UI thread would show up as one long gap)."""

    def __init__(self, condition, then, timeout_s: float, what: str, fail) -> None:
        self.condition, self.then, self.what, self.fail = condition, then, what, fail
        self.deadline = time.monotonic() + timeout_s
        self.last = time.monotonic()
        self.ticks, self.max_gap = 0, 0.0
        QTimer.singleShot(POLL_MS, self.tick)

    def tick(self) -> None:
        now = time.monotonic()
        self.ticks += 1
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
        try:
            if self.ticks % 100 == 1:
                trace(f"waiting for {self.what}")
            if self.condition():
                self.then(self)
            elif now > self.deadline:
                self.fail(f"timed out waiting for {self.what}")
            else:
                QTimer.singleShot(POLL_MS, self.tick)
        except Exception:
            self.fail(traceback.format_exc())


class GuiTest(Extension):
    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.report: dict = {"steps": []}
        self.waiters: list[Waiter] = []

    def setup(self) -> None:
        trace("setup")
        Krita.instance().notifier().setActive(True)
        Krita.instance().notifier().windowCreated.connect(
            lambda: QTimer.singleShot(0, self.guarded(self.open_image)))

    def createActions(self, window) -> None:
        pass

    # ------------------------------------------------------------------ plumbing
    def guarded(self, step):
        def run(*args):
            try:
                step(*args)
            except Exception:
                self.finish(traceback.format_exc())
        return run

    def finish(self, error: str = "") -> None:
        self.report["error"] = error
        with open(os.path.join(OUT, "report.json"), "w", encoding="utf-8") as handle:
            json.dump(self.report, handle, indent=1)
        os._exit(1 if error else 0)

    def wait(self, condition, then, what: str, timeout_s: float = 120.0) -> None:
        # keep a reference: PyQt drops a timer slot whose (non-QObject) owner is collected
        self.waiters.append(Waiter(condition, self.guarded(then), timeout_s, what, self.finish))

    def step(self, name: str, **data) -> None:
        trace(f"step {name} {data}")
        self.report["steps"].append(name)
        self.report[name] = data

    def docker(self):
        found = [d for d in Krita.instance().dockers() if d.objectName() == "texnet_docker"]
        if not found:
            raise RuntimeError("texnet docker not found among " +
                               str([d.objectName() for d in Krita.instance().dockers()]))
        return found[0]

    def button(self, name: str) -> QPushButton:
        return self.docker().findChild(QPushButton, name)

    # ------------------------------------------------------------------ fill
    def open_image(self) -> None:
        trace("window created: opening the image")
        app = Krita.instance()
        self.doc = app.openDocument(CONFIG["image"])
        self.window = app.activeWindow()
        self.window.qwindow().showMaximized()  # the screen is 1600x1000: room for the docker
        trace("opened")
        self.view = self.window.addView(self.doc)
        trace("view added")
        self.doc.setSelection(soft_selection(self.doc.width(), self.doc.height(),
                                             CONFIG["select"]))
        trace("selection set")
        docker = self.docker()
        trace("docker found")
        docker.setVisible(True)
        trace("visible")
        docker.raise_()
        trace("raised")
        combo = docker.findChild(QComboBox, "texnet_model")
        self.wait(lambda: combo.count() > 0 and not docker.busy(), self.click_fill,
                  "the model list")

    def click_fill(self, _waiter) -> None:
        docker = self.docker()
        combo = docker.findChild(QComboBox, "texnet_model")
        combo.setCurrentIndex(combo.findData(CONFIG["model"]))
        docker.findChild(QSpinBox, "texnet_seed").setValue(CONFIG["seed"])
        self.layers_before = [n.name() for n in self.doc.topLevelNodes()]
        self.step("models", names=[combo.itemData(i) for i in range(combo.count())],
                  icons=sum(not combo.itemIcon(i).isNull() for i in range(combo.count())))
        self.button("texnet_fill").click()
        self.wait(lambda: not docker.busy(), self.await_active_layer, "the fill")

    def await_active_layer(self, fill_waiter) -> None:
        """Krita applies Document.setActiveNode through the view a few event-loop turns later
        (seen under load: the new layer existed but Background was still active); wait for the
        new layer to become active, keeping the fill's UI-responsiveness record."""
        def new_layer_active() -> bool:
            node = self.doc.activeNode()
            return node is not None and node.name() not in self.layers_before

        self.wait(new_layer_active, lambda _waiter: self.after_fill(fill_waiter),
                  "the new layer to become active", timeout_s=10)

    def after_fill(self, waiter) -> None:
        docker, doc = self.docker(), self.doc
        doc.waitForDone()
        nodes = doc.topLevelNodes()
        width, height = doc.width(), doc.height()
        layer = doc.activeNode()
        self.step("fill", status=docker.status.text(), ticks=waiter.ticks,
                  max_gap_s=waiter.max_gap, before=self.layers_before,
                  after=[n.name() for n in nodes], active=layer.name())
        with open(os.path.join(OUT, "fill-layer.bin"), "wb") as handle:
            handle.write(bytes(layer.pixelData(0, 0, width, height)))
        background = next(n for n in nodes if n.name() == self.layers_before[0])
        with open(os.path.join(OUT, "fill-background.bin"), "wb") as handle:
            handle.write(bytes(background.pixelData(0, 0, width, height)))
        doc.setBatchmode(True)
        doc.exportImage(os.path.join(OUT, "fill-export.png"), InfoObject())
        QTimer.singleShot(500, self.guarded(self.screenshot))

    def screenshot(self) -> None:
        QApplication.processEvents()
        self.window.qwindow().grab().save(os.path.join(OUT, "window.png"))
        self.docker().grab().save(os.path.join(OUT, "docker.png"))
        count = len(self.doc.topLevelNodes())
        Krita.instance().action("edit_undo").trigger()
        self.wait(lambda: len(self.doc.topLevelNodes()) < count, self.after_undo,
                  "undo to remove the layer", timeout_s=10)

    def after_undo(self, _waiter) -> None:
        self.step("undo", after=[n.name() for n in self.doc.topLevelNodes()])
        if not CONFIG.get("style_model"):
            self.start_cancel()
            return
        docker = self.docker()
        combo = docker.findChild(QComboBox, "texnet_model")
        combo.setCurrentIndex(combo.findData(CONFIG["style_model"]))
        self.style_buttons = {name: self.button(f"texnet_{name}").isEnabled()
                              for name in ("fill", "tile", "stylize")}
        self.button("texnet_stylize").click()
        self.wait(lambda: not docker.busy(), self.after_stylize, "the stylization")

    def after_stylize(self, _waiter) -> None:
        self.step("stylize", buttons=self.style_buttons, status=self.docker().status.text(),
                  after=[n.name() for n in self.doc.topLevelNodes()])
        self.start_cancel()

    # ------------------------------------------------------------------ cancel
    def start_cancel(self) -> None:
        app = Krita.instance()
        side = CONFIG["cancel_side"]
        self.big = app.createDocument(side, side, "big", "RGBA", "U8", "", 72.0)
        self.window.addView(self.big)
        self.wait(lambda: Krita.instance().activeDocument() is not None and
                  Krita.instance().activeDocument().name() == "big", self.click_tile,
                  "the large document to become active", timeout_s=20)

    def click_tile(self, _waiter) -> None:
        docker = self.docker()
        combo = docker.findChild(QComboBox, "texnet_model")
        combo.setCurrentIndex(combo.findData(CONFIG["model"]))  # a texture model again
        self.big_before = len(self.big.topLevelNodes())
        self.seen_progress: list[str] = []
        docker.findChild(QPushButton, "texnet_tile").click()
        self.wait(lambda: "synthesize" in docker.status.text() or not docker.busy(),
                  self.click_cancel, "synthesis progress")

    def click_cancel(self, _waiter) -> None:
        docker = self.docker()
        self.cancel_status_before = docker.status.text()
        self.cancel_at = time.monotonic()
        self.button("texnet_cancel").click()
        self.wait(lambda: not docker.busy(), self.after_cancel, "the cancel", timeout_s=30)

    def after_cancel(self, _waiter) -> None:
        docker = self.docker()
        self.step("cancel", status_before=self.cancel_status_before,
                  status=docker.status.text(), seconds=time.monotonic() - self.cancel_at,
                  layers_before=self.big_before, layers_after=len(self.big.topLevelNodes()),
                  fill_enabled=self.button("texnet_fill").isEnabled())
        if not CONFIG.get("learn"):
            self.finish()
            return
        self.view.setVisible()  # back to the first image's view (its tab)
        self.window.showView(self.view)
        self.wait(lambda: Krita.instance().activeDocument() is not None and
                  Krita.instance().activeDocument().name() != "big", self.click_learn,
                  "the image to become active again", timeout_s=20)

    # ------------------------------------------------------------------ learn
    def start_learning(self, name: str, iterations: int) -> None:
        docker = self.docker()
        self.doc.setSelection(soft_selection(self.doc.width(), self.doc.height(),
                                             CONFIG["learn"]["select"]))
        docker.findChild(QLineEdit, "texnet_learn_name").setText(name)
        docker.findChild(QSpinBox, "texnet_learn_iterations").setValue(iterations)
        docker.findChild(QDoubleSpinBox, "texnet_learn_scale").setValue(
            CONFIG["learn"].get("element_size", 1.0))
        self.learn_at = time.monotonic()
        self.button("texnet_learn").click()

    def click_learn(self, _waiter) -> None:
        self.start_learning(CONFIG["learn"]["name"], CONFIG["learn"]["iterations"])
        docker = self.docker()
        self.wait(lambda: not docker.busy(), self.after_learn, "the learning", timeout_s=400)

    def after_learn(self, waiter) -> None:
        docker = self.docker()
        combo = docker.findChild(QComboBox, "texnet_model")
        self.step("learn", status=docker.status.text(), ticks=waiter.ticks,
                  max_gap_s=waiter.max_gap, seconds=time.monotonic() - self.learn_at,
                  models=[combo.itemData(i) for i in range(combo.count())])
        learnt = combo.findData(CONFIG["learn"]["model"]) >= 0  # the list may be refreshed
        if not (learnt or docker.status.text().startswith("learnt")):
            self.finish()  # the test reports the status
            return
        self.wait(lambda: combo.findData(CONFIG["learn"]["model"]) >= 0 and not docker.busy(),
                  self.fill_learnt, "the new model in the list", timeout_s=60)

    def fill_learnt(self, _waiter) -> None:
        docker = self.docker()
        combo = docker.findChild(QComboBox, "texnet_model")
        combo.setCurrentIndex(combo.findData(CONFIG["learn"]["model"]))
        self.doc.setSelection(soft_selection(self.doc.width(), self.doc.height(),
                                             CONFIG["learn"]["fill"]))
        self.fill_times = getattr(self, "fill_times", [])
        self.fill_at = time.monotonic()
        self.button("texnet_fill").click()
        self.wait(lambda: not docker.busy(), self.after_fill_learnt, "the learnt fill")

    def after_fill_learnt(self, _waiter) -> None:
        self.fill_times.append(time.monotonic() - self.fill_at)
        if len(self.fill_times) < 2:  # the second fill: the warm worker
            self.fill_learnt(None)
            return
        self.step("fill_learnt", status=self.docker().status.text(), seconds=self.fill_times,
                  after=[n.name() for n in self.doc.topLevelNodes()])
        QApplication.processEvents()
        self.window.qwindow().grab().save(os.path.join(OUT, "learn-window.png"))
        self.start_learning(CONFIG["learn"]["cancel_name"], 500)
        docker = self.docker()
        self.wait(lambda: "train" in docker.status.text() or not docker.busy(),
                  self.cancel_learning, "training progress", timeout_s=300)

    def cancel_learning(self, _waiter) -> None:
        docker = self.docker()
        self.cancel_status_before = docker.status.text()
        self.button("texnet_cancel").click()
        self.wait(lambda: not docker.busy(), self.after_cancel_learning, "the learning cancel",
                  timeout_s=90)

    def after_cancel_learning(self, _waiter) -> None:
        combo = self.docker().findChild(QComboBox, "texnet_model")
        self.step("learn_cancel", status_before=self.cancel_status_before,
                  status=self.docker().status.text(),
                  models=[combo.itemData(i) for i in range(combo.count())])
        self.finish()


Krita.instance().addExtension(GuiTest(Krita.instance()))
