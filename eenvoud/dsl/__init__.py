"""The rules language: grammar, parser, Transformer to IR, name resolution and type checking."""
