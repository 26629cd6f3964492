"""Vazirmatn 33.0.3 (Regular and Bold), from the npm package ``vazirmatn``, under the SIL Open Font
License 1.1 (``OFL.txt`` next to the fonts). Shipped as package data so charts never depend on the
fonts installed on the machine."""
