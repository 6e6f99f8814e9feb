"""Commands as functions over (store, inputs, options) returning result objects.

cli/ parses a command line, calls one of these and renders what it returns;
every store transaction and controller call of a command happens here. Progress
and confirmation stay cli's: they come in as callables (`pushing` wraps the
reconcile pass in a progress display; `before_pass` shows what was stored
before the push starts, as the command's lines always came first).
"""
