"""The lowered core: one regulation at one date, the one form the engine, the Z3 encoding and the
SQL compiler read (nodes.py), and the pass that builds it from the checked IR (lower.py)."""
