"""The Bokeh house style every view shares: the palette (``palette``), a plain figure
and HTML keys (``base``), and model ids that stay unique when one page embeds several
widgets (``ids``). Draws nothing of its own; knows no lab, playground or task."""
