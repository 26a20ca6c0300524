"""Peak memory of one avatar upload, per kind of image (issue: avatars cost bounded memory).

    .venv/bin/python bench/avatar_memory.py
    .venv/bin/python bench/avatar_memory.py --only png-1x25000000,jpeg-5000x5000
    git show <rev>:contacts/services/avatars.py > /tmp/avatars_old.py
    .venv/bin/python bench/avatar_memory.py --service /tmp/avatars_old.py     # the same cases against old code

Every case runs `process_avatar` once on the upload in a fresh child process (`python bench/avatar_memory.py
--child ...`), which reports its own `ru_maxrss` and `VmHWM` (the two agree unless the child inherited its
parent's size at exec; the driver stays small and builds the files in a separate process for that reason). The
upload is a `SimpleUploadedFile` holding the bytes in memory, as Django hands over an upload under
FILE_UPLOAD_MAX_MEMORY_SIZE (6 MiB, above the 5 MB avatar limit). The baseline child sets up Django and imports
Pillow and the avatar service, and processes nothing. Files are built once into --cache (default: a folder in the
system temp dir) and reused.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MIB = 150

# name -> what it is; the builders are in `build_case`.
CASES: dict[str, str] = {
    "png-1x25000000": "RGB PNG, 1 px wide, 25,000,000 rows",
    "png-25000000x1": "RGB PNG, one row of 25,000,000 px",
    "png-5000x5000-rgb": "RGB PNG 5000x5000 (25 MP)",
    "png-5000x5000-rgba": "RGBA PNG 5000x5000",
    "png-5000x5000-rgb16": "16-bit RGB PNG 5000x5000",
    "png-5000x5000-gray16": "16-bit grayscale PNG 5000x5000",
    "png-4500x4500-gray16": "16-bit grayscale PNG 4500x4500 (20.3 MP)",
    "png-5000x5000-gray8": "8-bit grayscale PNG 5000x5000",
    "png-5000x5000-palette": "palette PNG 5000x5000 with a transparent index",
    "png-5000x5000-interlaced": "Adam7-interlaced RGB PNG 5000x5000",
    "png-4096x4096-rgba": "RGBA PNG 4096x4096 (16.8 MP)",
    "png-4000x3000-rgba": "RGBA PNG 4000x3000 (12 MP)",
    "png-3840x2160-rgb": "RGB PNG 3840x2160 (a 4K screenshot)",
    "png-3600x2800-rgba-5mb": "RGBA PNG 3600x2800 (10.1 MP) with a noisy band, 4.9 MB: both limits nearly reached",
    "png-10000x2500-rgb": "RGB PNG 10000x2500 (25 MP, 4:1)",
    "png-10000x2500-palette": "palette PNG 10000x2500 (25 MP, 4:1)",
    "png-10000x1-rgb": "RGB PNG 10000x1",
    "png-1x10000-rgb": "RGB PNG 1x10000",
    "apng-2000x2000-50frames": "animated PNG 2000x2000, 50 frames",
    "png-text-bomb": "8x8 PNG with 3,000 zTXt chunks of 1 MB each (compressed to about 1 KB)",
    "jpeg-5000x5000": "baseline JPEG 5000x5000, 4:2:0",
    "jpeg-5000x5000-444": "baseline JPEG 5000x5000, 4:4:4",
    "jpeg-5000x5000-progressive": "progressive JPEG 5000x5000, 4:2:0",
    "jpeg-5000x5000-progressive-444": "progressive JPEG 5000x5000, 4:4:4",
    "jpeg-5000x5000-cmyk": "CMYK JPEG 5000x5000",
    "jpeg-5000x5000-cmyk-progressive": "progressive CMYK JPEG 5000x5000",
    "jpeg-5000x5000-exif-rotated": "JPEG 5000x5000 with EXIF orientation 6",
    "jpeg-5000x5000-multiscan": "baseline JPEG 5000x5000 with one scan per component (non-interleaved)",
    "jpeg-4080x3072-progressive": "progressive JPEG 4080x3072 (12.5 MP), 4:2:0",
    "jpeg-3000x2400-progressive-444": "progressive JPEG 3000x2400 (7.2 MP), 4:4:4",
    "jpeg-2500x2000-cmyk-progressive": "progressive CMYK JPEG 2500x2000 (5 MP)",
    "jpeg-65000x384": "JPEG 65000x384 (25 MP, 169:1)",
    "jpeg-4000x3000-photo": "noisy 12 MP JPEG close to the 5 MB limit",
    "webp-5000x5000": "WebP 5000x5000 (not an accepted format)",
    "gif-5000x5000-20frames": "animated GIF 5000x5000, 20 frames (not an accepted format)",
    "bomb-png-5001x5000": "PNG header declaring 5001x5000, one tiny IDAT",
    "bomb-png-65535x65535": "PNG header declaring 65535x65535, one tiny IDAT",
    "bomb-png-zeros-5000x5000": "real RGB PNG 5000x5000 of zeros (about 25 KB for 75 MB of pixels)",
    "bomb-jpeg-65500x65500": "JPEG header declaring 65500x65500",
}


# -- Building the files (in their own process: the driver must stay small) -------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, depth: int, color: int, rows, *, interlace: int = 0, extra: bytes = b"") -> bytes:
    """A PNG from an iterable of filtered scanlines (each starting with its filter byte), compressed as it goes."""
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    compressor = zlib.compressobj(9)
    parts = []
    for row in rows:
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + extra + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")
    )


def _flat_rows(height: int, row_bytes: int, value: int = 0):
    row = b"\0" + bytes([value]) * row_bytes
    for _ in range(height):
        yield row


def _adam7_rows(width: int, height: int, channels: int):
    # (x0, y0, dx, dy) of the seven passes; a constant image has constant rows in every pass.
    for x0, y0, dx, dy in (
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ):
        pass_width = max(0, (width - x0 + dx - 1) // dx)
        pass_height = max(0, (height - y0 + dy - 1) // dy)
        if pass_width:
            yield from _flat_rows(pass_height, pass_width * channels, 90)


def _pillow(image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _gradient(width: int, height: int, mode: str = "RGB"):
    from PIL import Image

    # A smooth picture compresses like a real one; a flat one would make the JPEG cases unrealistically small.
    ramp = Image.linear_gradient("L")
    down = ramp.resize((width, height))
    if mode == "L":
        return down
    across = ramp.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    return Image.merge("RGB", (down, across, Image.new("L", (width, height), 128))).convert(mode)


def _multiscan_jpeg(image) -> bytes:
    """A baseline (SOF0) JPEG whose first scan carries one component: libjpeg then buffers the whole image."""
    import shutil

    cjpeg = shutil.which("cjpeg")
    if cjpeg is None:
        return b""  # reported as skipped
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.ppm"
        scans = Path(folder) / "scans.txt"
        image.save(source)
        scans.write_text("0;\n1;\n2;\n")
        return subprocess.run(
            [cjpeg, "-quality", "90", "-scans", str(scans), str(source)], capture_output=True, check=True
        ).stdout


def build_case(name: str) -> bytes:
    from PIL import Image

    if name == "png-1x25000000":
        return _png(1, 25_000_000, 8, 2, _flat_rows(25_000_000, 3))
    if name == "png-25000000x1":
        return _png(25_000_000, 1, 8, 2, _flat_rows(1, 75_000_000))
    if name == "png-5000x5000-rgb":
        return _pillow(_gradient(5000, 5000), "PNG")
    if name == "png-5000x5000-rgba":
        return _pillow(_gradient(5000, 5000, "RGBA"), "PNG")
    if name == "png-5000x5000-rgb16":
        return _png(5000, 5000, 16, 2, _flat_rows(5000, 5000 * 6, 77))
    if name == "png-5000x5000-gray16":
        return _png(5000, 5000, 16, 0, _flat_rows(5000, 5000 * 2, 77))
    if name == "png-4500x4500-gray16":
        return _png(4500, 4500, 16, 0, _flat_rows(4500, 4500 * 2, 77))
    if name == "png-5000x5000-gray8":
        return _pillow(_gradient(5000, 5000, "L"), "PNG")
    if name == "png-3600x2800-rgba-5mb":
        image = _gradient(3600, 2800, "RGBA")
        image.paste(Image.merge("RGBA", [Image.effect_noise((3600, 340), 60) for _ in range(4)]), (0, 0))
        return _pillow(image, "PNG")
    if name == "png-5000x5000-palette":
        palette = _gradient(5000, 5000).quantize(64)
        return _pillow(palette, "PNG", transparency=0)
    if name == "png-5000x5000-interlaced":
        return _png(5000, 5000, 8, 2, _adam7_rows(5000, 5000, 3), interlace=1)
    if name == "png-4096x4096-rgba":
        return _pillow(_gradient(4096, 4096, "RGBA"), "PNG")
    if name == "png-4000x3000-rgba":
        return _pillow(_gradient(4000, 3000, "RGBA"), "PNG")
    if name == "png-3840x2160-rgb":
        return _pillow(_gradient(3840, 2160), "PNG")
    if name == "png-10000x2500-rgb":
        return _pillow(_gradient(10000, 2500), "PNG")
    if name == "png-10000x2500-palette":
        return _pillow(_gradient(10000, 2500).quantize(64), "PNG")
    if name == "png-10000x1-rgb":
        return _png(10000, 1, 8, 2, _flat_rows(1, 30000, 99))
    if name == "png-1x10000-rgb":
        return _png(1, 10000, 8, 2, _flat_rows(10000, 3, 99))
    if name == "apng-2000x2000-50frames":
        frames = [Image.new("RGB", (2000, 2000), (i * 5, 0, 255 - i * 5)) for i in range(50)]
        return _pillow(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=40)
    if name == "png-text-bomb":
        text = _chunk(b"zTXt", b"k\0\0" + zlib.compress(b"a" * 1_000_000, 9))
        return _png(8, 8, 8, 2, _flat_rows(8, 24), extra=text * 3000)
    if name == "jpeg-5000x5000":
        return _pillow(_gradient(5000, 5000), "JPEG", quality=90)
    if name == "jpeg-5000x5000-444":
        return _pillow(_gradient(5000, 5000), "JPEG", quality=90, subsampling=0)
    if name == "jpeg-5000x5000-progressive":
        return _pillow(_gradient(5000, 5000), "JPEG", quality=90, progressive=True)
    if name == "jpeg-5000x5000-progressive-444":
        return _pillow(_gradient(5000, 5000), "JPEG", quality=90, progressive=True, subsampling=0)
    if name == "jpeg-5000x5000-cmyk":
        return _pillow(_gradient(5000, 5000, "CMYK"), "JPEG", quality=90)
    if name == "jpeg-5000x5000-cmyk-progressive":
        return _pillow(_gradient(5000, 5000, "CMYK"), "JPEG", quality=90, progressive=True)
    if name == "jpeg-5000x5000-exif-rotated":
        exif = Image.Exif()
        exif[0x0112] = 6
        return _pillow(_gradient(5000, 5000), "JPEG", quality=90, exif=exif)
    if name == "jpeg-5000x5000-multiscan":
        return _multiscan_jpeg(_gradient(5000, 5000))
    if name == "jpeg-4080x3072-progressive":
        return _pillow(_gradient(4080, 3072), "JPEG", quality=90, progressive=True)
    if name == "jpeg-3000x2400-progressive-444":
        return _pillow(_gradient(3000, 2400), "JPEG", quality=90, progressive=True, subsampling=0)
    if name == "jpeg-2500x2000-cmyk-progressive":
        return _pillow(_gradient(2500, 2000, "CMYK"), "JPEG", quality=90, progressive=True)
    if name == "jpeg-65000x384":
        return _pillow(_gradient(65000, 384), "JPEG", quality=90)
    if name == "jpeg-4000x3000-photo":
        noisy = Image.effect_noise((4000, 3000), 20).convert("RGB")
        return _pillow(noisy, "JPEG", quality=75)
    if name == "webp-5000x5000":
        return _pillow(_gradient(5000, 5000), "WEBP", quality=80)
    if name == "gif-5000x5000-20frames":
        frames = [Image.new("P", (5000, 5000), i) for i in range(20)]
        for frame in frames:
            frame.putpalette([c for i in range(256) for c in (i, 255 - i, 0)])
        return _pillow(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=40)
    if name == "bomb-png-5001x5000":
        return _png(5001, 5000, 8, 2, [b"\0" * 64])
    if name == "bomb-png-65535x65535":
        return _png(65535, 65535, 8, 2, [b"\0" * 64])
    if name == "bomb-png-zeros-5000x5000":
        return _png(5000, 5000, 8, 2, _flat_rows(5000, 15000))
    if name == "bomb-jpeg-65500x65500":
        data = bytearray(_pillow(Image.new("RGB", (16, 16)), "JPEG"))
        sof = data.index(b"\xff\xc0")
        data[sof + 5 : sof + 9] = struct.pack(">HH", 65500, 65500)  # SOF0: precision, then height, width
        return bytes(data)
    raise SystemExit(f"unknown case {name}")


def build_missing(cache: Path, names: list[str]) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = cache / name
        if not path.exists():
            data = build_case(name)
            path.with_suffix(".part").write_bytes(data)
            path.with_suffix(".part").rename(path)


# -- The measured child ------------------------------------------------------------------------------------


def _vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def child(case_path: str | None, service: str | None, worker: bool) -> None:
    import resource

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.test_settings")
    import django

    django.setup()
    import PIL.Image  # noqa: F401  (part of the baseline either way)
    from django.core.files.uploadedfile import SimpleUploadedFile

    if worker:
        # What a gunicorn worker holds before its first request: the WSGI application and every URLconf's views.
        from django.urls import get_resolver

        import crm.wsgi  # noqa: F401

        len(get_resolver().url_patterns)  # imports every view module

    if service:
        import importlib.util

        spec = importlib.util.spec_from_file_location("avatars_under_test", service)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        from contacts.services import avatars as module

    result: dict[str, object] = {}
    if case_path:
        data = Path(case_path).read_bytes()
        result["bytes"] = len(data)
        upload = SimpleUploadedFile(Path(case_path).name, data)
        del data
        started = time.perf_counter()
        try:
            cleaned = module.process_avatar(upload, field="file")
        except Exception as exc:  # the service's own errors carry a message; anything else is a bug worth showing
            result["outcome"] = f"rejected: {getattr(exc, 'message', repr(exc))}"
        else:
            from PIL import Image

            stored = cleaned.read()
            with Image.open(io.BytesIO(stored)) as image:
                result["outcome"] = f"stored {image.format} {image.size[0]}x{image.size[1]} {image.mode}"
            result["stored_bytes"] = len(stored)
        result["seconds"] = round(time.perf_counter() - started, 3)
    result["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["hwm_kib"] = _vm_hwm_kib()
    print(json.dumps(result))


def run_child(case_path: Path | None, service: str | None, worker: bool) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(case_path or "")]
    if service:
        command += ["--service", service]
    if worker:
        command.append("--worker")
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        # Killed by the kernel or crashed: report it rather than hide it.
        last_words = " ".join(completed.stderr.split())[-300:]
        return {"outcome": f"child failed (exit {completed.returncode}): {last_words}"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


# -- Driver ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated case names (default: all)")
    parser.add_argument(
        "--service", help="a copy of contacts/services/avatars.py to measure instead of the current one"
    )
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "crm-avatar-bench"))
    parser.add_argument(
        "--worker", action="store_true", help="load the WSGI application and every URLconf in each child first"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        child(args.child or None, args.service, args.worker)
        return
    names = args.only.split(",") if args.only else list(CASES)
    unknown = [name for name in names if name not in CASES]
    if unknown:
        parser.error(f"unknown cases: {', '.join(unknown)}")
    cache = Path(args.cache)
    if args.build:
        build_missing(cache, names)
        return
    subprocess.run([sys.executable, __file__, "--build", "--cache", str(cache), "--only", ",".join(names)], check=True)

    imports_only = run_child(None, args.service, False)["maxrss_kib"] / 1024
    worker = run_child(None, args.service, True)["maxrss_kib"] / 1024
    base_mib = worker if args.worker else imports_only
    print(f"service: {args.service or 'contacts/services/avatars.py'}; limit {LIMIT_MIB} MiB per worker")
    print(f"baseline, Django set up and Pillow and the service imported: {imports_only:.0f} MiB")
    print(f"baseline, a worker (also the WSGI application and every URLconf): {worker:.0f} MiB")
    print(f"cases run {'as a worker' if args.worker else 'with imports only'}\n")
    print("| case | file bytes | outcome | s | peak RSS MiB | above baseline MiB | under limit |")
    print("| --- | ---: | --- | ---: | ---: | ---: | --- |")
    worst = 0.0
    for name in names:
        if not (cache / name).stat().st_size:
            print(f"| {name} | | skipped (could not be built here) | | | | |")
            continue
        result = run_child(cache / name, args.service, args.worker)
        if "maxrss_kib" not in result:
            print(f"| {name} | | {result['outcome']} | | | | no |")
            worst = float("inf")
            continue
        peak = max(result["maxrss_kib"], result["hwm_kib"]) / 1024
        worst = max(worst, peak)
        print(
            f"| {name} | {result['bytes']:,} | {result['outcome']} | {result['seconds']:.2f} | {peak:.0f} "
            f"| {peak - base_mib:.0f} | {'yes' if peak < LIMIT_MIB else '**no**'} |",
            flush=True,
        )
    print(f"\nworst peak: {worst:.0f} MiB (limit {LIMIT_MIB} MiB)")


if __name__ == "__main__":
    main()
