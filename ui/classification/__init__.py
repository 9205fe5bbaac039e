"""The classification feature's screens: one module per section of the page, its cached reads and its labels."""
