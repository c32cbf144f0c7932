"""The docker's warm engine: one ``texnet serve`` QProcess kept for the docker's lifetime, so a
second fill pays neither Python/torch start-up nor model load (docs/design.md, "The serve
protocol"). Requests go to its stdin, answers come on stdout, progress events (with the
request's id) on stderr.

Anything unexpected (the worker dies, says nothing for SILENCE_MS, answers in another protocol
or not in JSON, does not know the request) ends the request with ``fallback`` set: the docker
then runs the same work as a fresh ``texnet`` process. Cancel stops the worker (SIGTERM: the
request ends at its next step) and the next request starts a new one.
"""

from __future__ import annotations

import json

from PyQt5.QtCore import QObject, QProcess, QTimer, pyqtSignal

from .adapter import ProgressReader, client
from .job import KILL_AFTER_MS, Outcome, engine_environment

SILENCE_MS = 300_000


class WarmWorker(QObject):
    """One ``texnet serve`` process and at most one request in flight."""

    def __init__(self, engine: str, parent=None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.process: QProcess | None = None
        self.job: WarmJob | None = None
        self.next_id = 1

    def alive(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.NotRunning

    def ensure(self) -> None:
        """Start the worker when none runs; the ping checks its protocol before any request."""
        if self.alive():
            return
        self.process = QProcess(self)
        self.process.setProgram(self.engine)
        self.process.setArguments(client.serve_args())
        self.process.setProcessEnvironment(engine_environment())
        self.process.readyReadStandardOutput.connect(self._on_stdout)
        self.process.readyReadStandardError.connect(self._on_stderr)
        process = self.process
        process.finished.connect(lambda *_a: self._on_exit(process))
        process.errorOccurred.connect(lambda error: self._on_error(process, error))
        self._out, self._err, self.pinged = b"", ProgressReader(), False
        self.process.start()
        self.send({"id": 0, "op": "ping"})

    def send(self, message: dict) -> None:
        self.process.write((json.dumps(message) + "\n").encode("utf-8"))

    def submit(self, job: WarmJob) -> None:
        self.ensure()
        self.job = job
        job.request_id, self.next_id = self.next_id, self.next_id + 1
        self.send(dict(job.request, id=job.request_id))

    def stop(self) -> None:
        """End the worker (the docker is going away, or a cancel)."""
        if self.alive():
            self.process.terminate()
            process = self.process
            QTimer.singleShot(KILL_AFTER_MS, lambda: process.state() != QProcess.NotRunning
                              and process.kill())
        self.process = None

    def _on_stdout(self) -> None:
        if self.process is None:
            return
        self._out += bytes(self.process.readAllStandardOutput())
        while b"\n" in self._out:
            line, self._out = self._out.split(b"\n", 1)
            self._answer(line.decode("utf-8", "replace"))

    def _answer(self, line: str) -> None:
        try:
            answer = json.loads(line)
            if not self.pinged:
                client.check_ping(answer)
                self.pinged = True
                return
            outcome = client.answer_outcome(answer)
        except (ValueError, client.WorkerError) as exc:
            self._fail(str(exc))
            return
        if self.job is not None and answer.get("id") == self.job.request_id:
            job, self.job = self.job, None
            job.finish(outcome, fallback=client.retryable(outcome))

    def _on_stderr(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardError()).decode("utf-8", "replace")
        for event in self._err.feed(text):
            if self.job is not None and event.kind == "progress":
                self.job.on_progress(event)

    def _on_exit(self, process) -> None:
        if process is self.process:  # not one stopped earlier
            self.process = None
            self._fail("the worker exited")

    def _on_error(self, process, error) -> None:
        if error == QProcess.FailedToStart and process is self.process:
            self.process = None
            self._fail("the worker did not start")

    def _fail(self, why: str) -> None:
        self.stop()
        if self.job is not None:
            job, self.job = self.job, None
            job.finish(Outcome(client.ERROR, why), fallback=not job.cancelled)


class WarmJob(QObject):
    """One request to the WarmWorker; the same signals as job.EngineJob, plus ``fallback``
    on the outcome's job when the caller should run a fresh process instead."""

    progress = pyqtSignal(object)
    finished = pyqtSignal(object)

    def __init__(self, worker: WarmWorker, request: dict, parent=None) -> None:
        super().__init__(parent)
        self.worker, self.request = worker, request
        self.request_id = None
        self.cancelled = self.fallback = self._done = False
        self.silence = QTimer(self)
        self.silence.setSingleShot(True)
        self.silence.setInterval(SILENCE_MS)
        self.silence.timeout.connect(lambda: self.worker._fail("the worker went silent"))

    def start(self) -> None:
        self.silence.start()
        self.worker.submit(self)

    def running(self) -> bool:
        return not self._done

    def on_progress(self, event) -> None:
        self.silence.start()
        if not self._done:
            self.progress.emit(event)

    def cancel(self) -> None:
        if self._done:
            return
        self.cancelled = True
        self.worker.job = None
        self.worker.stop()
        self.finish(Outcome(client.CANCEL, "cancelled"))

    def finish(self, outcome, fallback: bool = False) -> None:
        if self._done:
            return
        self._done = True
        self.silence.stop()
        self.fallback = fallback
        self.finished.emit(outcome)
