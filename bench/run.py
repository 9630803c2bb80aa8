"""Benchmark: cards per second, peak memory, and the ratio to Typst, at 650 and 20,000 rows.

    python bench/run.py                      # 650 and 20,000 recipients
    python bench/run.py --rows 650           # one size
    python bench/run.py --rows 650 --no-extras

The machine is shared and noisy, so absolute seconds say little: every figure
is reported next to baselines measured in the same run —

* ``Typst``: the same card (size, artwork, texts, fonts, QR modules) rendered
  by Typst to one PDF per recipient (bench/card.typ, bench/typst_baseline.py);
  skipped with a message when the ``typst`` package is not installed
  (``pip install '.[bench]'``).  For lists longer than ``--typst-sample``
  cards Typst renders the first that many, and its per-card time is used;
* ``naive``: the obvious reportlab script (one canvas per card, fonts
  registered and the artwork drawn from its file each time, the QR drawn as
  an image), timed on a sample of the cards;
* ``no artwork``: greetcard with the template's artwork removed, so the cost
  of the artwork per card is visible as a ratio.

Each measurement runs in a fresh process (start-up included), so peak memory
(max RSS) is its own.  Throughput at the largest size must stay within 20 %
of the smallest size's.
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
from bench.typst_baseline import card_documents, render_with_typst, typst_available  # noqa: E402

PER_RECIPIENT_URL = "https://www.neujahrsgross-japan.de/?r={id}"


def measure(kind: str, args: dict[str, object]) -> dict[str, float]:
    """Run one measurement in a child process and return its figures."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(args)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def cpu_seconds() -> float:
    """User + system time of this process (all its threads) and of its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child(kind: str, args: dict[str, object]) -> None:
    started = time.perf_counter()
    cpu_started = cpu_seconds()
    if kind == "typst-inputs":  # laid out by greetcard, in a process of its own (not timed)
        limit = int(str(args["count"]))
        documents = card_documents(
            Path(str(args["list"])), Path(str(args["template"])), PER_RECIPIENT_URL, limit
        )
        Path(str(args["documents"])).write_text("\n".join(documents), encoding="utf-8")
        print("{}")
        return
    if kind == "typst":
        documents = Path(str(args["documents"])).read_text(encoding="utf-8").split("\n")
        cpu_started = cpu_seconds()
        seconds = render_with_typst(documents, Path(str(args["template"])), Path(str(args["out"])))
        out = Path(str(args["out"]))
        sizes = [p.stat().st_size for p in out.glob("*.pdf")]
        report_figures(len(documents), seconds, cpu_seconds() - cpu_started, sizes, 0)
        return
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
    report_figures(cards, time.perf_counter() - started, cpu_seconds() - cpu_started, sizes, batch_size)


def report_figures(cards: int, seconds: float, cpu: float, sizes: list[int], batch_size: int) -> None:
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(
        json.dumps(
            {
                "cards": cards,
                "seconds": seconds,
                "cpu_seconds": cpu,
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
    parser.add_argument("--rows", type=int, nargs="+", default=[650, 20_000], help="list sizes")
    parser.add_argument("--typst-sample", type=int, default=2_000, help="most cards Typst renders per size")
    parser.add_argument("--naive-sample", type=int, default=40, help="cards for the naive baseline")
    parser.add_argument("--no-extras", action="store_true", help="only greetcard and Typst")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child[0], json.loads(options.child[1]))
        return

    from greetcard.assets import bundled_template

    cores = os.cpu_count() or 1
    skipped = typst_available()
    if skipped:
        print(skipped)
    results: dict[str, dict[str, dict[str, float]]] = {}
    for number, rows in enumerate(options.rows):
        extras = not options.no_extras and number == 0  # the other baselines at the first size only
        with tempfile.TemporaryDirectory(prefix="greetcard-bench-") as folder:
            results[str(rows)] = measure_size(Path(folder), rows, bundled_template(), options, cores, extras)
    print_results(results, cores)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


def measure_size(
    work: Path, rows: int, template: Path, options: argparse.Namespace, cores: int, extras: bool
) -> dict[str, dict[str, float]]:
    """Every run for one list size, greetcard first, then the baselines."""
    recipients = write_list(work / "recipients.csv", rows)
    common = {"list": str(recipients), "url": PER_RECIPIENT_URL}
    runs: dict[str, dict[str, float]] = {}
    runs[f"greetcard, {cores} processes"] = measure(
        "greetcard", {**common, "template": str(template), "out": str(work / "all"), "jobs": 0}
    )
    shutil.rmtree(work / "all")  # 20,000 cards take gigabytes
    if typst_available() is None:
        documents = str(work / "typst.jsonl")
        count = min(rows, options.typst_sample)
        measure("typst-inputs", {**common, "template": str(template), "documents": documents, "count": count})
        runs["Typst"] = measure(
            "typst", {"template": str(template), "documents": documents, "out": str(work / "typst")}
        )
        shutil.rmtree(work / "typst")
    if not extras:
        return runs
    runs["greetcard, 1 process"] = measure(
        "greetcard", {**common, "template": str(template), "out": str(work / "one"), "jobs": 1}
    )
    bare = template_without_artwork(template, work / "bare-template")
    runs["greetcard, no artwork, 1 process"] = measure(
        "greetcard", {**common, "template": str(bare), "out": str(work / "bare"), "jobs": 1}
    )
    runs[f"greetcard, {cores} processes + press file"] = measure(
        "greetcard",
        {**common, "template": str(template), "out": str(work / "press"), "jobs": 0, "batch": "press.pdf"},
    )
    runs["greetcard, screen profile, 1 process"] = measure(
        "greetcard",
        {**common, "template": str(template), "out": str(work / "screen"), "jobs": 1, "profile": "screen"},
    )
    runs["naive reportlab script (sample)"] = measure(
        "naive", {"list": str(recipients), "out": str(work / "naive"), "count": options.naive_sample}
    )
    return runs


def print_results(results: dict[str, dict[str, dict[str, float]]], cores: int) -> None:
    print(f"per-recipient links, default template (print profile, PDF/X-4), {cores} cores\n")
    print(
        f"{'rows':>6} {'run':44} {'cards':>6} {'s':>8} {'cards/s':>8} {'ms/card':>8} "
        f"{'vs Typst':>9} {'CPU s':>7} {'CPU vs T':>9} {'peak MiB':>9} {'KiB/card':>9}"
    )
    for rows, runs in results.items():
        typst = runs.get("Typst")
        for name, run in runs.items():
            per_card = run["seconds"] / max(run["cards"], 1)
            wall, cpu = f"{'–':>9}", f"{'–':>9}"
            if typst:
                wall = f"{per_card / (typst['seconds'] / typst['cards']):8.2f}×"
                cpu_per_card = run["cpu_seconds"] / max(run["cards"], 1)
                cpu = f"{cpu_per_card / (typst['cpu_seconds'] / typst['cards']):8.2f}×"
            print(
                f"{rows:>6} {name:44} {run['cards']:6.0f} {run['seconds']:8.2f} "
                f"{run['cards'] / run['seconds']:8.1f} {per_card * 1000:8.2f} {wall} "
                f"{run['cpu_seconds']:7.2f} {cpu} {run['peak_mib']:9.1f} {run['mean_card_kib']:9.1f}"
            )
        print()
    sizes = list(results)
    main_run = next(name for name in results[sizes[0]] if name.startswith("greetcard,"))
    if len(sizes) > 1:
        small, large = results[sizes[0]][main_run], results[sizes[-1]][main_run]
        change = (large["cards"] / large["seconds"]) / (small["cards"] / small["seconds"]) - 1
        verdict = "met: not more than 20 % lower" if change >= -0.2 else "NOT met: more than 20 % lower"
        print(
            f"throughput at {sizes[-1]} rows vs {sizes[0]} rows: {change:+.0%} ({verdict}); "
            f"peak memory {small['peak_mib']:.0f} → {large['peak_mib']:.0f} MiB"
        )
    for size in sizes:
        runs = results[size]
        if "Typst" in runs:
            typst, ours = runs["Typst"], runs[main_run]
            wall = (ours["seconds"] / ours["cards"]) / (typst["seconds"] / typst["cards"])
            cpu = (ours["cpu_seconds"] / ours["cards"]) / (typst["cpu_seconds"] / typst["cards"])
            print(
                f"{size} cards: greetcard takes {wall:.2f} × Typst's time (target ≤ 0.5), "
                f"{cpu:.2f} × its CPU time"
            )
    first = results[sizes[0]]
    if "naive reportlab script (sample)" in first and "greetcard, no artwork, 1 process" in first:
        one, bare_run = first["greetcard, 1 process"], first["greetcard, no artwork, 1 process"]
        artwork_ratio = (one["seconds"] / one["cards"]) / (bare_run["seconds"] / bare_run["cards"])
        naive = first["naive reportlab script (sample)"]
        naive_per_card = naive["seconds"] / naive["cards"]
        print(f"artwork cost: per-card time with PDF artwork / without = {artwork_ratio:.2f} (target ≤ 1.5)")
        print(
            f"naive script: {naive_per_card * 1000:.0f} ms and {naive['mean_card_kib']:.0f} KiB per card; "
            f"greetcard, 1 process, is {naive_per_card / (one['seconds'] / one['cards']):.0f}× faster"
        )
        press = next((run for name, run in first.items() if name.endswith("press file")), None)
        if press:
            allowed = 2 * press["max_card_kib"] + 10 * press["cards"]
            print(
                f"press file: {press['batch_kib']:.0f} KiB for {press['cards']:.0f} cards "
                f"(limit 2 × largest card + 10 KiB per card = {allowed:.0f} KiB)"
            )


if __name__ == "__main__":
    main()
