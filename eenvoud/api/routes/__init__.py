"""One router per resource. Handlers translate HTTP into calls on the Service and back: no rules
logic lives here.

Handlers and dependencies are `async def`: each is a few tens of microseconds of CPU, far less
than the hop to a worker thread that FastAPI makes for a plain `def` (which tripled the time of a
request). The one slow thing, an analysis, runs in a thread of its own.
"""
