"""Hermetic tests: every test gets its own TEXNET_HOME and offline mode."""

from __future__ import annotations

import pytest
import torch


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: pass --runslow to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def texnet_home(tmp_path, monkeypatch):
    home = tmp_path / "texnet-home"
    monkeypatch.setenv("TEXNET_HOME", str(home))
    monkeypatch.setenv("TEXNET_OFFLINE", "1")
    monkeypatch.delenv("TEXNET_INDEX", raising=False)
    torch.manual_seed(0)
    return home

