"""Charts rendered to PNG bytes (matplotlib, Agg backend, no display), with Persian text shaped right.

Pure: plain data in, bytes out; nothing imported from ``crm``, ``bot`` or ``jobs``.
"""

from ai.charts.arc import ArcChart, ArcChartLabels, ChartMarker, ChartPoint, render_arc_png
from ai.charts.text import NATIVE_SHAPING, font, shape

__all__ = [
    "NATIVE_SHAPING",
    "ArcChart",
    "ArcChartLabels",
    "ChartMarker",
    "ChartPoint",
    "font",
    "render_arc_png",
    "shape",
]
