"""The KPI screens: the overview's figures (growing into the managers' dashboard), its cached reads."""
