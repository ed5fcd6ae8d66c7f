"""Cassettes: real HTTP traffic recorded once and replayed offline, streams, timings and all, with secrets left out.

One module per job: `bodies` (a body as stored: JSON, text, base64 or form parts), `events` (SSE streams as timed
events), `model` (the cassette document), `redaction`, `matching` (which recording answers a request, and the nearest
one when none does), `storage` (files: load with positions, atomic writes), `pacing`, `recorder` (an interaction
captured as it passes), `upstream` (the httpx client that forwards), `player` (the cassette in use) and `vcr`
(importing vcrpy cassettes). Nothing here speaks Starlette: `mockai/api/recording.py` is the HTTP side.
"""
