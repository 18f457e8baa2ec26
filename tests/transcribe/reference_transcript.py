#!/usr/bin/env python3
"""reference_transcript.py REFERENCE.txt > transcript.json — the Transcript JSON of speech made by
make_speech.sh: each line of its reference ("start_ms end_ms text") becomes one segment whose
words are spread evenly over where the line sounds. Exact at the lines' edges, so tests can
check cuts and span edges against it without a recogniser's errors."""
import json
import sys

segments = []
for line in open(sys.argv[1]):
    a, b, text = line.split(None, 2)
    words, a, b = text.split(), int(a), int(b)
    step = (b - a) / len(words)
    segments.append({"start_ms": a, "end_ms": b, "text": text.strip(),
                     "words": [{"word": w, "start_ms": int(a + i * step), "end_ms": int(a + (i + 1) * step),
                                "confidence": 0.9} for i, w in enumerate(words)]})
print(json.dumps({"language": "en-us", "model": "reference", "duration_ms": segments[-1]["end_ms"] + 300,
                  "segments": segments}))
