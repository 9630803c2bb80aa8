"""A deterministic recipient list of any length, shaped like the real one."""

from __future__ import annotations

import csv
import random
from pathlib import Path

JAPANESE_STEMS = [
    "ミナト",
    "サクラ",
    "北斗",
    "東海",
    "富士",
    "髙橋",
    "﨑山",
    "大和",
    "日の出",
    "みずほ",
    "ひかり",
    "青葉",
]
JAPANESE_KINDS = [
    "精機",
    "製作所",
    "電子",
    "化学工業",
    "商事",
    "ソフトウェア",
    "物流",
    "フーズ",
    "テクノロジー",
]
GERMAN_STEMS = [
    "Yamato",
    "Fuji",
    "Kawasaki",
    "Hokuto",
    "Mitsuwa",
    "Sanyo",
    "Nagano",
    "Ōmi",
    "Sakura",
    "Daiichi",
]
GERMAN_KINDS = [
    "Präzisionstechnik",
    "Logistik",
    "Maschinenbau",
    "Süßwaren",
    "Optik",
    "Werkzeugbau",
    "Elektronik",
]
CONTACTS = [("Anna Müller", "Frau"), ("Jürgen Schäfer", "Herr"), ("Kenji Watanabe", "Herr"), ("", "")]
JAPANESE_CONTACTS = ["佐藤 花子", "髙橋 一郎", "鈴木 健太", ""]


def write_list(path: Path, count: int, seed: int = 2027) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["id", "company", "contact", "salutation", "language"])
        for number in range(1, count + 1):
            if rng.random() < 0.6:
                company = f"株式会社{rng.choice(JAPANESE_STEMS)}{rng.choice(JAPANESE_KINDS)}"
                writer.writerow([f"R{number:04d}", company, rng.choice(JAPANESE_CONTACTS), "", "ja"])
            else:
                company = f"{rng.choice(GERMAN_STEMS)} {rng.choice(GERMAN_KINDS)} GmbH"
                contact, salutation = rng.choice(CONTACTS)
                writer.writerow([f"R{number:04d}", company, contact, salutation, "de"])
    return path
