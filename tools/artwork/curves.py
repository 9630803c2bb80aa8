"""Curve helpers shared by the artwork generators: Bézier points, smooth splines, tapered strokes."""

from __future__ import annotations

import math

Point = tuple[float, float]


def bezier(p0: Point, p1: Point, p2: Point, p3: Point, n: int) -> list[Point]:
    """``n + 1`` points along a cubic Bézier curve."""
    pts = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        pts.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return pts


def spline(points: list[Point], n: int = 8, tension: float = 0.6) -> list[Point]:
    """A smooth centreline through ``points`` (Catmull-Rom segments as Béziers)."""
    out = [points[0]]
    for i in range(len(points) - 1):
        p0 = points[max(i - 1, 0)]
        p1, p2 = points[i], points[i + 1]
        p3 = points[min(i + 2, len(points) - 1)]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6 * tension, p1[1] + (p2[1] - p0[1]) / 6 * tension)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6 * tension, p2[1] - (p3[1] - p1[1]) / 6 * tension)
        out.extend(bezier(p1, c1, c2, p2, n)[1:])
    return out


def tapered_outline(pts: list[Point], w0: float, w1: float) -> list[Point]:
    """The outline of a stroke along ``pts`` whose width runs from ``w0`` to ``w1``."""
    n = len(pts)
    left, right = [], []
    for i, (x, y) in enumerate(pts):
        xa, ya = pts[max(i - 1, 0)]
        xb, yb = pts[min(i + 1, n - 1)]
        dx, dy = xb - xa, yb - ya
        ln = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / ln, dx / ln
        w = (w0 + (w1 - w0) * (i / (n - 1))) / 2
        left.append((x + nx * w, y + ny * w))
        right.append((x - nx * w, y - ny * w))
    return left + right[::-1]
