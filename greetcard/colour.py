"""Colour management: one CMYK output profile, real ICC transforms.

Print profiles are CMYK: designer colours given as ``#rrggbb``, SVG colours
and raster artwork go through Little CMS (Pillow's ImageCms) from sRGB to the
bundled coated-offset profile, never through a naive formula.  The screen
profile goes the other way for CMYK colours.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from PIL import Image, ImageCms

from .assets import icc_profile
from .template import Color

#: The bundled CMYK output condition (see assets/icc/README.md).
OUTPUT_PROFILE_FILE = "FOGRA39L_coated_TAC300.icc"
OUTPUT_CONDITION_IDENTIFIER = "FOGRA39"
OUTPUT_CONDITION = "Offset printing, ISO 12647-2:2004, coated paper (PT 1/2), 115 g/m², screen 60/cm"
REGISTRY_NAME = "http://www.color.org"
INTENT = ImageCms.Intent.RELATIVE_COLORIMETRIC


@lru_cache(maxsize=1)
def output_profile_bytes() -> bytes:
    """The CMYK output profile, as embedded in a PDF/X OutputIntent."""
    return icc_profile(OUTPUT_PROFILE_FILE).read_bytes()


@lru_cache(maxsize=1)
def srgb_profile_bytes() -> bytes:
    """An sRGB ICC profile made by Little CMS, for tagging RGB content."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return bytes(profile.tobytes())


@lru_cache(maxsize=1)
def _rgb_to_cmyk_transform() -> Any:
    import io

    return ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"),
        ImageCms.ImageCmsProfile(io.BytesIO(output_profile_bytes())),
        "RGB",
        "CMYK",
        renderingIntent=INTENT,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )


@lru_cache(maxsize=1)
def _cmyk_to_rgb_transform() -> Any:
    import io

    return ImageCms.buildTransform(
        ImageCms.ImageCmsProfile(io.BytesIO(output_profile_bytes())),
        ImageCms.createProfile("sRGB"),
        "CMYK",
        "RGB",
        renderingIntent=INTENT,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )


def image_to_cmyk(image: Image.Image) -> Image.Image:
    """Convert an RGB (or greyscale) image to the output profile's CMYK."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    converted = ImageCms.applyTransform(image, _rgb_to_cmyk_transform())
    assert converted is not None  # applyTransform returns None only with inPlace=True
    return converted


@lru_cache(maxsize=4096)
def rgb_to_cmyk(rgb: tuple[float, float, float]) -> tuple[float, float, float, float]:
    """One sRGB colour (0–1) as CMYK fractions; pure black and white stay exact."""
    if rgb == (0.0, 0.0, 0.0):
        return (0.0, 0.0, 0.0, 1.0)
    if rgb == (1.0, 1.0, 1.0):
        return (0.0, 0.0, 0.0, 0.0)
    pixel = Image.new("RGB", (1, 1), tuple(round(v * 255) for v in rgb))
    c, m, y, k = image_to_cmyk(pixel).getpixel((0, 0))  # type: ignore[misc]
    return (c / 255, m / 255, y / 255, k / 255)


@lru_cache(maxsize=4096)
def cmyk_to_rgb(cmyk: tuple[float, float, float, float]) -> tuple[float, float, float]:
    """One CMYK colour as sRGB fractions, for the screen profile."""
    if cmyk == (0.0, 0.0, 0.0, 0.0):
        return (1.0, 1.0, 1.0)
    pixel = Image.new("CMYK", (1, 1), tuple(round(v * 255) for v in cmyk))
    r, g, b = ImageCms.applyTransform(pixel, _cmyk_to_rgb_transform()).getpixel((0, 0))  # type: ignore[union-attr,misc]
    return (r / 255, g / 255, b / 255)


def as_cmyk(color: Color) -> tuple[float, float, float, float]:
    if color.cmyk is not None:
        return color.cmyk
    assert color.rgb is not None
    return rgb_to_cmyk(color.rgb)


def as_rgb(color: Color) -> tuple[float, float, float]:
    if color.rgb is not None:
        return color.rgb
    assert color.cmyk is not None
    return cmyk_to_rgb(color.cmyk)
