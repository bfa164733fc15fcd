"""The conformance report: result records (JSON Lines), shard merging and the HTML rendering.

``records`` holds the model (:class:`~conformance.report.records.Record`, ``RecordWriter``,
``mask_excerpt``); ``render`` writes the HTML; ``plugin`` holds the pytest hooks and the
``conformance_record`` fixture. Nothing heavy is imported here.
"""
