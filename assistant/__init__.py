"""Questions in, answers with exact citations out: retrieval, the reader, the optional LLM.

The public API; ``python -m assistant ask|evaluate|train-reader`` is the command line, and
``assistant.evaluation`` the evaluation's own API.
"""

from ingest.public import lazy_exports

_EXPORTS = {
    "Assistant": "assistant.service",
    "index_state": "assistant.service",
    "Answer": "assistant.records",
    "Citation": "assistant.records",
    "Passage": "assistant.records",
    "ABSTENTION": "assistant.records",
    "Encoder": "assistant.interfaces",
    "Retriever": "assistant.interfaces",
    "Reader": "assistant.interfaces",
    "Reading": "assistant.interfaces",
    "load_reader": "assistant.interfaces",
    "HybridRetriever": "assistant.retrieval",
    "LLM_MODES": "assistant.llm",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
