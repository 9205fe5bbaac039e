"""The exchange feature's public face: what other features may use."""
