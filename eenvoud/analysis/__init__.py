"""The analyzer: the checked IR encoded into Z3, and analyses whose every finding is proved.

`analyze.analyze(regulations)` runs them all and returns a `findings.Report`; `simplify.simplify`
writes a regulation without what they prove removable; `report` renders Markdown and HTML.
"""
