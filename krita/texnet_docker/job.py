"""Running the engine asynchronously with QProcess: progress events in, one outcome out.

The Qt event loop keeps running while the engine works, so Krita never freezes. Cancel sends
SIGTERM (the engine stops at its next step, exits 3 and leaves no partial output, DESIGN.md
§5) and kills the process if it has not gone after a grace period.
"""

from __future__ import annotations

from PyQt5.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, pyqtSignal

from .adapter import Event, ProgressReader, child_environment, client

KILL_AFTER_MS = 5000
TRAIN_KILL_AFTER_MS = 60_000  # a training step (and the checkpoint after it) takes longer
Outcome = client.Outcome


def engine_environment() -> QProcessEnvironment:
    """Krita's environment minus what would break the engine's Python and Qt."""
    env = QProcessEnvironment()
    for key, value in child_environment().items():
        env.insert(key, value)
    return env


class EngineJob(QObject):
    """One ``texnet`` run. Signals: progress(Event), finished(Outcome) exactly once."""

    progress = pyqtSignal(object)
    finished = pyqtSignal(object)

    def __init__(self, program: str, args: list[str], parent=None,
                 kill_after_ms: int = KILL_AFTER_MS) -> None:
        super().__init__(parent)
        self.kill_after_ms = kill_after_ms
        self.reader = ProgressReader()
        self.cancelled = False
        self.killed = False  # cancel had to kill the engine (it ignored SIGTERM)
        self._done = False
        self._stdout = bytearray()
        self.process = QProcess(self)
        self.process.setProgram(program)
        self.process.setArguments(args)
        self.process.setProcessEnvironment(engine_environment())
        self.process.readyReadStandardError.connect(self._on_stderr)
        self.process.readyReadStandardOutput.connect(self._on_stdout)
        self.process.finished.connect(self._on_finished)
        self.process.errorOccurred.connect(self._on_error)

    def start(self) -> None:
        self.process.start()

    def running(self) -> bool:
        return not self._done

    def cancel(self) -> None:
        """Ask the engine to stop; kill it if it does not within KILL_AFTER_MS."""
        if self._done:
            return
        self.cancelled = True
        self.process.terminate()
        QTimer.singleShot(self.kill_after_ms, self._kill)

    def _kill(self) -> None:
        if not self._done and self.process.state() != QProcess.NotRunning:
            self.killed = True
            self.process.kill()

    def _on_stderr(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode("utf-8", "replace")
        for event in self.reader.feed(text):
            self._emit(event)

    def _emit(self, event: Event) -> None:
        # A late readyRead (delivered while the finished handler lets Krita process events)
        # must not overwrite the final status with an old progress line.
        if event.kind == "progress" and not self._done:
            self.progress.emit(event)

    def _on_stdout(self) -> None:
        self._stdout += bytes(self.process.readAllStandardOutput())

    def _on_finished(self, exit_code: int, exit_status) -> None:
        self._on_stderr()
        self._on_stdout()
        for event in self.reader.close():
            self._emit(event)
        stdout = self._stdout.decode("utf-8", "replace")
        if self.cancelled:
            message = "cancelled (the engine did not stop; killed)" if self.killed else "cancelled"
            outcome = Outcome(client.CANCEL, message)
        else:
            code = exit_code if exit_status == QProcess.NormalExit else -1
            outcome = client.outcome_of(code, self.reader, stdout, expect_result=False)
        self._finish(outcome)

    def _on_error(self, error) -> None:
        if error == QProcess.FailedToStart:
            self._finish(Outcome(client.ERROR, f"cannot start {self.process.program()}: "
                                 f"{self.process.errorString()}"))

    def _finish(self, outcome: Outcome) -> None:
        if not self._done:
            self._done = True
            self.finished.emit(outcome)
