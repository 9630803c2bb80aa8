"""Benchmark: cards per second, peak memory and file sizes, as ratios to baselines run alongside.

    python bench/run.py            # 650 cards, the default template
    python bench/run.py --cards 200 --quick

The machine is shared and noisy, so absolute seconds say little: every figure
is reported next to a baseline measured in the same run —

* ``naive``: the obvious reportlab script (one canvas per card, fonts
  registered and the artwork drawn from its file each time, the QR drawn as
  an image), timed on a sample of the cards;
* ``no artwork``: greetcard with the template's artwork removed, so the cost
  of the artwork per card is visible as a ratio.

Each measurement runs in a fresh process, so peak memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.make_list import write_list  # noqa: E402

PER_RECIPIENT_URL = "https://www.neujahrsgross-japan.de/?r={id}"


def measure(kind: str, args: dict[str, object]) -> dict[str, float]:
    """Run one measurement in a child process and return its figures."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(args)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def child(kind: str, args: dict[str, object]) -> None:
    started = time.perf_counter()
    if kind == "greetcard":
        from greetcard.batch import Inputs, RenderOptions, render_batch

        inputs = Inputs(
            recipients=Path(str(args["list"])),
            template=Path(str(args["template"])),
            url=str(args["url"]) if args.get("url") else None,
            profile=str(args.get("profile", "print")),
        )
        report = render_batch(
            RenderOptions(
                inputs,
                out=Path(str(args["out"])),
                jobs=int(str(args["jobs"])),
                batch_file=str(args["batch"]) if args.get("batch") else None,
            )
        )
        cards = report.written
        out = Path(str(args["out"]))
        sizes = [p.stat().st_size for p in out.glob("*.pdf") if p.name != args.get("batch")]
        batch_size = (out / str(args["batch"])).stat().st_size if args.get("batch") else 0
    else:
        cards, sizes = naive_cards(Path(str(args["list"])), Path(str(args["out"])), int(str(args["count"])))
        batch_size = 0
    seconds = time.perf_counter() - started
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(
        json.dumps(
            {
                "cards": cards,
                "seconds": seconds,
                "peak_mib": peak_kib / 1024,
                "mean_card_kib": sum(sizes) / max(len(sizes), 1) / 1024,
                "max_card_kib": max(sizes, default=0) / 1024,
                "batch_kib": batch_size / 1024,
            }
        )
    )


def naive_cards(list_path: Path, out: Path, count: int) -> tuple[int, list[int]]:
    """The obvious reportlab script: everything per card, the artwork and QR as images."""
    import csv
    import io

    import pypdfium2 as pdfium
    import qrcode
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    from greetcard.assets import assets_folder, bundled_template

    mm = 72 / 25.4
    artwork_png = out / "artwork.png"
    out.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(str(bundled_template() / "artwork.pdf"))
    document[0].render(scale=300 / 72).to_pil().save(
        artwork_png
    )  # the artwork as designers often hand it over
    document.close()
    fonts = assets_folder() / "fonts"
    rows = list(csv.DictReader(io.StringIO(list_path.read_text(encoding="utf-8-sig")), delimiter=";"))[:count]
    sizes = []
    for row in rows:
        pdfmetrics.registerFont(TTFont("Sans", str(fonts / "NotoSansJP-Regular.ttf")))
        pdfmetrics.registerFont(TTFont("Bold", str(fonts / "NotoSansJP-Bold.ttf")))
        path = out / f"{row['id']}.pdf"
        canvas = Canvas(str(path), pagesize=(106 * mm, 154 * mm))
        canvas.drawImage(str(artwork_png), 0, 0, 106 * mm, 154 * mm)
        canvas.setFont("Bold", 12)
        canvas.drawCentredString(53 * mm, 100 * mm, row["company"])
        canvas.setFont("Sans", 9)
        canvas.drawCentredString(53 * mm, 90 * mm, "Ein gutes neues Jahr 2027 · 謹賀新年")
        image = qrcode.make(PER_RECIPIENT_URL.format(id=row["id"]))
        canvas.drawImage(ImageReader(image._img), 38 * mm, 30 * mm, 30 * mm, 30 * mm)
        canvas.showPage()
        canvas.save()
        sizes.append(path.stat().st_size)
    return len(rows), sizes


def template_without_artwork(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    file = target / "template.toml"
    lines = [
        line for line in file.read_text(encoding="utf-8").splitlines() if not line.startswith("artwork =")
    ]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=650)
    parser.add_argument("--naive-sample", type=int, default=40, help="cards for the naive baseline")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child[0], json.loads(options.child[1]))
        return

    from greetcard.assets import bundled_template

    with tempfile.TemporaryDirectory(prefix="greetcard-bench-") as folder:
        work = Path(folder)
        recipients = write_list(work / "recipients.csv", options.cards)
        template = bundled_template()
        bare = template_without_artwork(template, work / "bare-template")
        cores = os.cpu_count() or 1
        runs = {
            "naive reportlab script (sample)": measure(
                "naive", {"list": str(recipients), "out": str(work / "naive"), "count": options.naive_sample}
            ),
            "greetcard, 1 process": measure(
                "greetcard",
                {
                    "list": str(recipients),
                    "template": str(template),
                    "out": str(work / "one"),
                    "url": PER_RECIPIENT_URL,
                    "jobs": 1,
                },
            ),
            "greetcard, no artwork, 1 process": measure(
                "greetcard",
                {
                    "list": str(recipients),
                    "template": str(bare),
                    "out": str(work / "bare"),
                    "url": PER_RECIPIENT_URL,
                    "jobs": 1,
                },
            ),
            f"greetcard, {cores} processes": measure(
                "greetcard",
                {
                    "list": str(recipients),
                    "template": str(template),
                    "out": str(work / "all"),
                    "url": PER_RECIPIENT_URL,
                    "jobs": 0,
                },
            ),
            f"greetcard, {cores} processes + press file": measure(
                "greetcard",
                {
                    "list": str(recipients),
                    "template": str(template),
                    "out": str(work / "press"),
                    "url": PER_RECIPIENT_URL,
                    "jobs": 0,
                    "batch": "press.pdf",
                },
            ),
            "greetcard, screen profile, 1 process": measure(
                "greetcard",
                {
                    "list": str(recipients),
                    "template": str(template),
                    "out": str(work / "screen"),
                    "url": PER_RECIPIENT_URL,
                    "jobs": 1,
                    "profile": "screen",
                },
            ),
        }
    naive = runs["naive reportlab script (sample)"]
    naive_per_card = naive["seconds"] / naive["cards"]
    print(f"{options.cards} recipients, per-recipient links, default template, {cores} cores\n")
    print(
        f"{'run':44} {'cards':>5} {'s':>7} {'cards/s':>8} {'ms/card':>8} {'vs naive':>9} "
        f"{'peak MiB':>9} {'KiB/card':>9}"
    )
    for name, run in runs.items():
        per_card = run["seconds"] / max(run["cards"], 1)
        print(
            f"{name:44} {run['cards']:5.0f} {run['seconds']:7.2f} {run['cards'] / run['seconds']:8.1f} "
            f"{per_card * 1000:8.2f} {naive_per_card / per_card:8.1f}× {run['peak_mib']:9.1f} "
            f"{run['mean_card_kib']:9.1f}"
        )
    one, bare_run = runs["greetcard, 1 process"], runs["greetcard, no artwork, 1 process"]
    press = runs[f"greetcard, {cores} processes + press file"]
    artwork_ratio = (one["seconds"] / one["cards"]) / (bare_run["seconds"] / bare_run["cards"])
    allowed = 2 * press["max_card_kib"] + 10 * press["cards"]
    print()
    print(f"artwork cost: per-card time with PDF artwork / without = {artwork_ratio:.2f} (target ≤ 1.5)")
    print(
        f"naive script: {naive_per_card * 1000:.0f} ms and {naive['mean_card_kib']:.0f} KiB per card; "
        f"650 cards would take {naive_per_card * 650:.0f} s"
    )
    print(
        f"press file: {press['batch_kib']:.0f} KiB for {press['cards']:.0f} cards "
        f"(limit 2 × largest card + 10 KiB per card = {allowed:.0f} KiB)"
    )
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps(runs, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
