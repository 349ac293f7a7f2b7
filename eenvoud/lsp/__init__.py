"""The language server (`eenvoud lsp`): the checker, the engine's tests and the analyzer in the
editor. See docs/editors.md, "Language server"."""
