"""``texnet fill --image --mask``: real files through the CLI, plus the engine's compositing."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
from helpers import save_tiny_model, tiny_generator
from PIL import Image
from texnet_cli.app import run
from texnet_cli.main import cli

from texturenet_plugin.io.images import Picture, read_picture, write_picture
from texturenet_plugin.synthesis.canvas import canvas_texture
from texturenet_plugin.synthesis.fill import FillOptions, fill_selection

H, W = 40, 56


def texnet(capsys, *argv):
    code = run(cli, [str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def photo(channels: int = 3, dtype=np.uint8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(dtype).max + 1, (H, W, channels)).astype(dtype)


def rect_mask(box, value: int = 255, dtype=np.uint8) -> np.ndarray:
    left, top, right, bottom = box
    mask = np.zeros((H, W, 1), dtype)
    mask[top:bottom, left:right] = value
    return mask


@pytest.fixture
def files(tmp_path):
    """Write pictures to tmp_path by name; returns (writer, tiny model path)."""
    model = save_tiny_model(tmp_path / "tiny.tnet")

    def write(name: str, pixels: np.ndarray):
        return write_picture(Picture(pixels), tmp_path / name)

    return write, model


def fill(capsys, model, image, mask, out, *extra):
    return texnet(capsys, "fill", "--model", model, "--image", image, "--mask", mask,
                  "-o", out, "--progress", "none", *extra)


def test_outside_mask_is_bit_identical_and_inside_is_texture(files, tmp_path, capsys):
    write, model = files
    pixels = photo()
    mask = rect_mask((10, 8, 40, 30))
    code, _, err = fill(capsys, model, write("in.png", pixels), write("m.png", mask),
                        tmp_path / "out.png")
    assert code == 0, err
    out = read_picture(tmp_path / "out.png").pixels
    outside = mask[..., 0] == 0
    np.testing.assert_array_equal(out[outside], pixels[outside])
    # the CLI's default precision is auto (bfloat16 on CPUs with AVX512-BF16)
    texture = canvas_texture(tiny_generator(), (10, 8, 40, 30), seed=0, precision="auto")
    np.testing.assert_array_equal(out[8:30, 10:40], texture)


def test_soft_mask_blends_linearly(tmp_path):
    gen = tiny_generator()
    pixels = photo()
    ramp = np.tile(np.linspace(1, 255, W).astype(np.uint8), (H, 1))[..., None]
    result = fill_selection(gen, Picture(pixels), Picture(ramp), FillOptions(seed=3))
    assert result.box == (0, 0, W, H)
    texture = canvas_texture(gen, result.box, seed=3).astype(np.float64)
    cover = ramp.astype(np.float64) / 255
    linear = pixels + (texture - pixels) * cover
    assert np.abs(result.picture.pixels - linear).max() <= 0.5 + 1e-9


def test_16bit_rgba_round_trip_and_over_compositing(files, tmp_path, capsys):
    write, model = files
    pixels = photo(4, np.uint16)
    mask = rect_mask((5, 5, 30, 20), 32768, np.uint16)  # 16-bit soft selection, ~50%
    code, _, err = fill(capsys, model, write("in.png", pixels), write("m.png", mask),
                        tmp_path / "out.png")
    assert code == 0, err
    out = read_picture(tmp_path / "out.png").pixels
    assert out.dtype == np.uint16 and out.shape == (H, W, 4)
    outside = mask[..., 0] == 0
    np.testing.assert_array_equal(out[outside], pixels[outside])
    cover, alpha = 32768 / 65535, pixels[5:20, 5:30, 3] / 65535
    expected_alpha = np.floor((cover + alpha * (1 - cover)) * 65535 + 0.5)
    np.testing.assert_array_equal(out[5:20, 5:30, 3], expected_alpha)
    assert np.abs(out[5:20, 5:30, :3].astype(float) % 257).max() > 0  # not just 8-bit values


def test_grey_images_stay_grey_at_their_depth(files, tmp_path, capsys):
    write, model = files
    for dtype in (np.uint8, np.uint16):
        image = write(f"grey{dtype.__name__}.png", photo(1, dtype))
        mask = write("m.png", rect_mask((0, 0, 20, 20)))
        code, _, err = fill(capsys, model, image, mask, tmp_path / "out.tif")
        assert code == 0, err
        out = read_picture(tmp_path / "out.tif").pixels
        assert out.shape == (H, W, 1) and out.dtype == dtype


@pytest.mark.parametrize("scale", ["1", "2", "0.5"])
def test_adjacent_fills_with_the_same_seed_meet_without_a_seam(files, tmp_path, capsys, scale):
    write, model = files
    image = write("in.png", photo())
    left = write("left.png", rect_mask((4, 4, 28, 36)))
    right = write("right.png", rect_mask((28, 4, 52, 36)))
    both = write("both.png", rect_mask((4, 4, 52, 36)))
    opts = ("--seed", "7", "--scale", scale)
    assert fill(capsys, model, image, left, tmp_path / "a.png", *opts)[0] == 0
    assert fill(capsys, model, tmp_path / "a.png", right, tmp_path / "ab.png", *opts)[0] == 0
    assert fill(capsys, model, image, both, tmp_path / "once.png", *opts)[0] == 0
    np.testing.assert_array_equal(read_picture(tmp_path / "ab.png").pixels,
                                  read_picture(tmp_path / "once.png").pixels)


def test_scale_enlarges_texture_elements():
    gen = tiny_generator()
    box = (0, 0, 64, 64)
    one, two = canvas_texture(gen, box, 1, 1.0), canvas_texture(gen, box, 1, 2.0)
    step = lambda t: np.abs(np.diff(t.astype(float), axis=1)).mean()  # noqa: E731
    assert step(two) < 0.75 * step(one)


def test_layer_only_contract(files, tmp_path, capsys):
    write, model = files
    mask = rect_mask((10, 8, 40, 30))
    mask[8:30, 30:40] = 100
    for dtype, maxv in ((np.uint8, 255), (np.uint16, 65535)):
        image = write(f"in{maxv}.png", photo(3, dtype))
        code, _, err = fill(capsys, model, image, write("m.png", mask), tmp_path / "layer.png",
                            "--layer-only")
        assert code == 0, err
        layer = read_picture(tmp_path / "layer.png").pixels
        assert layer.shape == (H, W, 4) and layer.dtype == dtype
        np.testing.assert_array_equal(layer[..., 3], np.floor(mask[..., 0] / 255 * maxv + 0.5))
        assert not layer[mask[..., 0] == 0].any()  # (0, 0, 0, 0) outside the selection
        texture = canvas_texture(tiny_generator(), (10, 8, 40, 30), seed=0,
                                 precision="auto").astype(np.int64)  # the CLI's default
        np.testing.assert_array_equal(layer[8:30, 10:40, :3], texture * (maxv // 255))


def test_feather_softens_the_edge_both_ways(files, tmp_path, capsys):
    write, model = files
    code, _, err = fill(capsys, model, write("in.png", photo()),
                        write("m.png", rect_mask((20, 0, 56, 40))), tmp_path / "l.png",
                        "--layer-only", "--feather", "6")
    assert code == 0, err
    alpha = read_picture(tmp_path / "l.png").pixels[20, :, 3].astype(int)
    assert alpha[0] == 0 and alpha[-1] == 255
    assert 0 < alpha[17] < 128 < alpha[22] < 255  # ramps across the edge at x = 20
    assert (np.diff(alpha) >= 0).all()


def test_match_colors_moves_the_fill_towards_the_surroundings(files, tmp_path, capsys):
    write, model = files
    pixels = np.zeros((H, W, 3), np.uint8)
    pixels[...] = (200, 40, 90)
    pixels += np.random.default_rng(0).integers(0, 20, pixels.shape).astype(np.uint8)
    image, mask = write("in.png", pixels), write("m.png", rect_mask((16, 10, 40, 30)))
    fill(capsys, model, image, mask, tmp_path / "plain.png")
    fill(capsys, model, image, mask, tmp_path / "matched.png", "--match-colors")
    target = pixels[0:5].reshape(-1, 3).mean(0)
    plain = read_picture(tmp_path / "plain.png").pixels[10:30, 16:40].reshape(-1, 3).mean(0)
    matched = read_picture(tmp_path / "matched.png").pixels[10:30, 16:40].reshape(-1, 3).mean(0)
    assert np.abs(matched - target).max() < 4 < np.abs(plain - target).max()


def test_full_canvas_mask_is_pure_texture_with_a_note(files, tmp_path, capsys):
    write, model = files
    mask = np.full((H, W, 1), 255, np.uint8)
    code, _, err = fill(capsys, model, write("in.png", photo()), write("m.png", mask),
                        tmp_path / "o.png")
    assert code == 0 and "selects the whole image" in err
    texture = canvas_texture(tiny_generator(), (0, 0, W, H), seed=0, precision="auto")
    np.testing.assert_array_equal(read_picture(tmp_path / "o.png").pixels, texture)


@pytest.mark.parametrize("mask, extra, message", [
    (np.zeros((H, W, 1), np.uint8), (), "mask is empty"),
    (np.full((H + 1, W, 1), 255, np.uint8), (), f"mask is {W}x{H + 1} but the image is {W}x{H}"),
    (np.full((H, W, 1), 255, np.uint8), ("--scale", "0"), "--scale 0.0: must be between"),
    (np.full((H, W, 1), 255, np.uint8), ("--feather", "-1"), "--feather -1.0"),
])
def test_bad_masks_and_options_fail_clearly(files, tmp_path, capsys, mask, extra, message):
    write, model = files
    code, _, err = fill(capsys, model, write("in.png", photo()), write("m.png", mask),
                        tmp_path / "o.png", *extra)
    assert code == 1 and message in err
    assert not (tmp_path / "o.png").exists()


def test_output_rules(files, tmp_path, capsys):
    write, model = files
    image, mask = write("in.png", photo(4)), write("m.png", rect_mask((0, 0, 9, 9)))
    code, _, err = fill(capsys, model, image, mask, tmp_path / "o.jpg")
    assert code == 1 and "JPEG cannot store alpha" in err
    before = image.read_bytes()
    code, _, err = fill(capsys, model, image, mask, image)
    assert code == 1 and "--overwrite" in err and image.read_bytes() == before
    assert fill(capsys, model, image, mask, image, "--overwrite")[0] == 0
    assert image.read_bytes() != before
    code, _, err = texnet(capsys, "fill", "--tile", "32x32", "--feather", "2", "-o",
                          tmp_path / "t.png")
    assert code == 2 and "--feather needs --image" in err
    code, _, err = texnet(capsys, "fill", "--tile", "32x32", "--scale", "2", "-o",
                          tmp_path / "t.png")  # a tile takes --scale (test_exemplar_scale.py)
    assert code == 0, err


def test_huge_declared_mask_is_refused(files, tmp_path, capsys):
    write, model = files
    bomb = tmp_path / "bomb.png"
    Image.new("L", (1, 1)).save(bomb)
    data = bytearray(bomb.read_bytes())
    data[16:24] = (100_000).to_bytes(4, "big") * 2  # IHDR width and height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    bomb.write_bytes(bytes(data))
    code, _, err = fill(capsys, model, write("in.png", photo()), bomb, tmp_path / "o.png")
    assert code == 1 and "over the limit" in err


def test_json_progress_for_plugins(files, tmp_path, capsys):
    write, model = files
    code, stdout, stderr = texnet(
        capsys, "fill", "--model", model, "--image", write("in.png", photo()), "--mask",
        write("m.png", rect_mask((0, 0, 9, 9))), "-o", tmp_path / "o.png", "--progress", "json")
    assert code == 0 and stdout == ""
    events = [json.loads(line) for line in stderr.splitlines()]
    assert {e["stage"] for e in events[:-1]} == {"load", "synthesize"}
    assert events[-1] == {"event": "result", "path": str(tmp_path / "o.png")}


def test_cancelled_fill_stops_before_writing(files, tmp_path):
    from texturenet_plugin.errors import Cancelled
    from texturenet_plugin.progress import CancelToken, Reporter

    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        fill_selection(tiny_generator(), Picture(photo()), Picture(rect_mask((0, 0, 9, 9))),
                       reporter=Reporter(token=token))
