"""Report files in, searchable chunks out: load, repair, chunk, embed, commit.

The public API; everything else is the modules' own business. ``python -m ingest`` is the
command line.
"""

from ingest.public import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ingest.settings": ("Settings",),
        "ingest.pipeline": ("Ingestor", "IngestBusy", "ingest_running", "ensure_corpus_indexed"),
        "ingest.keyword_index": ("KeywordIndex",),
        "ingest.catalog": ("Catalog", "ReportInfo"),
        "ingest.records": (
            "Chunk",
            "LoadedReport",
            "RepairedReport",
            "FileOutcome",
            "Outcome",
            "IngestError",
        ),
        "ingest.loaders": ("load_report",),
        "ingest.chunking": ("chunk_report",),
        "ingest.embeddings": ("load_embeddings",),
    },
)
