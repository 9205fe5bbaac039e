"""The satisfaction feature's messages, one file per part (each a MESSAGES dict: key -> (English, Chinese))."""
