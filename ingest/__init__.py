"""Report files in, searchable chunks out: load, repair, chunk, embed, commit.

The public API; everything else is the modules' own business. ``python -m ingest`` is the
command line.
"""

from ingest.public import lazy_exports

_EXPORTS = {
    "Settings": "ingest.settings",
    "Ingestor": "ingest.pipeline",
    "IngestBusy": "ingest.pipeline",
    "ingest_running": "ingest.pipeline",
    "ensure_corpus_indexed": "ingest.pipeline",
    "KeywordIndex": "ingest.keyword_index",
    "Catalog": "ingest.catalog",
    "ReportInfo": "ingest.catalog",
    "Chunk": "ingest.records",
    "LoadedReport": "ingest.records",
    "RepairedReport": "ingest.records",
    "FileOutcome": "ingest.records",
    "Outcome": "ingest.records",
    "IngestError": "ingest.records",
    "load_report": "ingest.loaders",
    "chunk_report": "ingest.chunking",
    "load_embeddings": "ingest.embeddings",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
