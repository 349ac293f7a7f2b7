"""The eligibility API: agencies' case systems and citizen portals ask it, over HTTP, whether a
person qualifies, why, and which questions are still open across every regulation.

`create_app(library)` builds the app; there is no module-level app, so that tests, `eenvoud serve`
and uvicorn's `--factory` each build their own from the rules they are given.
"""

from eenvoud.api.app import app_from_env, create_app

__all__ = ["create_app", "app_from_env"]
