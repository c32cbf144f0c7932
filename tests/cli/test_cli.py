from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import save_tiny_model, seam_ratio, texnet
from PIL import Image


def test_bundled_default_makes_a_tile_of_exact_size(tmp_path, capsys):
    out = tmp_path / "tile.png"
    code, _, _ = texnet(capsys, "fill", "--tile", "200x120", "-o", str(out), "--progress", "none")
    assert code == 0
    image = np.asarray(Image.open(out))
    assert image.shape == (120, 200, 3)
    assert image.std() > 10  # a texture, not a flat colour
    assert seam_ratio(image) < 1.3


def test_json_progress_protocol(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "tiny.tnet")
    out = tmp_path / "t.png"
    code, stdout, stderr = texnet(capsys, "fill", "--model", str(model), "--tile", "64x64",
                                  "-o", str(out), "--progress", "json")
    assert code == 0 and stdout == ""
    events = [json.loads(line) for line in stderr.splitlines()]
    assert events[-1] == {"event": "result", "path": str(out)}
    assert all(e["event"] == "progress" and e["stage"] == "synthesize" for e in events[:-1])


@pytest.mark.parametrize("size, code, message", [
    ("0x5", 2, "at least 1"),
    ("99999x99999", 1, "out of range"),
    ("big", 2, "not a size"),
])
def test_bad_sizes(tmp_path, capsys, size, code, message):
    got, _, err = texnet(capsys, "fill", "--tile", size, "-o", str(tmp_path / "x.png"))
    assert got == code and message in err
    assert not (tmp_path / "x.png").exists()


def test_unknown_model_exit_4(tmp_path, capsys):
    code, _, err = texnet(capsys, "fill", "--model", "no-such-model", "-o", str(tmp_path / "x.png"))
    assert code == 4 and "texnet models list" in err


def test_bad_model_name_is_rejected(tmp_path, capsys):
    code, _, err = texnet(capsys, "fill", "--model", "Bad Name!", "-o", str(tmp_path / "x.png"))
    assert code == 1 and "invalid model name" in err


def test_error_as_json_event(tmp_path, capsys):
    code, _, err = texnet(capsys, "fill", "--model", "nope", "-o", str(tmp_path / "x.png"),
                          "--progress", "json")
    event = json.loads(err.strip().splitlines()[-1])
    assert code == 4 and event["event"] == "error" and event["code"] == "model-not-found"


def test_unknown_output_format(tmp_path, capsys):
    code, _, err = texnet(capsys, "fill", "-o", str(tmp_path / "x.xyz"))
    assert code == 1 and "unknown format" in err


def test_missing_exemplar_for_training(tmp_path, capsys):
    code, _, err = texnet(capsys, "train", "texture", str(tmp_path / "nope.png"), "--name", "x",
                          "--descriptor", "random")
    assert code == 1 and "does not exist" in err


def test_unreadable_exemplar(tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG garbage")
    code, _, err = texnet(capsys, "train", "texture", str(bad), "--name", "x",
                          "--descriptor", "random")
    assert code == 1 and "not a readable image" in err


def test_train_cli_end_to_end_then_fill_by_name(tmp_path, capsys):
    exemplar = tmp_path / "ex.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(exemplar)
    code, _, err = texnet(capsys, "train", "texture", str(exemplar), "--name", "mine",
                          "--descriptor", "random", "--iterations", "3", "--batch-size", "1",
                          "--size", "64", "--color-weight", "7", "--width", "5",
                          "--exemplar-border", "reflect", "--progress", "json")
    assert code == 0, err
    code, out, _ = texnet(capsys, "models", "list", "--json")
    names = {row["name"]: row for row in json.loads(out)}
    assert names["mine"]["where"] == "user" and "pebbles" in names
    from texturenet_plugin.zoo import local as registry

    mine = registry.load("mine")
    assert mine.meta["training"]["color_weight"] == 7.0
    assert mine.spec.channels_step == 5 and mine.meta["training"]["width"] == 5
    assert mine.meta["training"]["exemplar_border"] == "reflect"
    assert mine.meta["exemplar"]["border"] == "reflect"
    code, _, _ = texnet(capsys, "fill", "--model", "mine", "--tile", "32x32",
                        "-o", str(tmp_path / "m.png"))
    assert code == 0 and (tmp_path / "m.png").exists()


def test_existing_checkpoint_needs_resume_or_restart(tmp_path, capsys):
    exemplar = tmp_path / "ex.png"
    Image.fromarray(np.full((40, 40, 3), 128, np.uint8)).save(exemplar)
    args = ["train", "texture", str(exemplar), "--name", "ck", "--descriptor", "random",
            "--iterations", "2", "--batch-size", "1", "--size", "64", "--progress", "none"]
    run_dir = tmp_path / "texnet-home" / "data" / "runs" / "ck"
    run_dir.mkdir(parents=True)
    (run_dir / "checkpoint.pt").write_bytes(b"x")
    code, _, err = texnet(capsys, *args)
    assert code == 1 and "--resume" in err
    code, _, err = texnet(capsys, *args, "--restart")
    assert code == 0, err


def test_optimize_writes_a_tile_and_a_falling_loss_log(tmp_path, capsys):
    exemplar = tmp_path / "ex.png"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(exemplar)
    log = tmp_path / "curve.csv"
    code, _, err = texnet(capsys, "optimize", str(exemplar), "--size", "48x32", "--seconds", "600", "--steps", "6",
                          "--descriptor", "random", "-o", str(tmp_path / "o.png"),
                          "--log", str(log), "--progress", "none")
    assert code == 0, err
    assert np.asarray(Image.open(tmp_path / "o.png")).shape == (32, 48, 3)
    rows = [line.split(",") for line in log.read_text().splitlines()[1:]]
    losses = [float(loss) for _, loss in rows]
    assert len(losses) == 6 and losses[-1] < losses[0]


def test_doctor_reports_an_installed_gimp_plugin(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GIMP3_DIRECTORY", str(tmp_path / "gimp3"))
    code, out, _ = texnet(capsys, "doctor")
    assert code == 0 and "texnet plugins install gimp" in out
    code, _, err = texnet(capsys, "plugins", "install", "gimp")
    assert code == 0, err
    code, out, _ = texnet(capsys, "doctor")
    line = next(row for row in out.splitlines() if row.startswith("plugin gimp"))
    assert "installed in" in line and str(tmp_path / "gimp3") in line
