"""Cassettes: record provider traffic once, replay it offline, scrub secrets, detect API drift.

vcrpy does the recording; this package makes it fit audio APIs:

- :mod:`.scrub` replaces every secret (auth headers, cookies, keys sent in a JSON body, key query
  parameters, echoes of a key in responses, user-registered values) by :data:`PLACEHOLDER`;
- :mod:`.store` keeps binary bodies in sidecar files named by SHA-256 beside the YAML, with the
  recording date and origin in the cassette's metadata;
- :mod:`.match` matches requests by method, URL and body *fingerprint* (multipart fields and file
  hashes, so the random boundary does not matter);
- :mod:`.recorder` builds the vcrpy configuration; :mod:`.drift` compares recordings.

Importing this package is light: vcrpy and yaml load inside the functions that need them.
"""

from conformance.cassettes.scrub import PLACEHOLDER, Scrubber

__all__ = ["PLACEHOLDER", "Scrubber"]
