"""The follow-up feature's screens: one module per section of the page, its cached reads, keys and widgets."""
