"""Questions in, answers with exact citations out: retrieval, the reader, the optional LLM.

The public API; ``python -m assistant ask|evaluate|train-reader`` is the command line, and
``assistant.evaluation`` the evaluation's own API.
"""

from ingest.public import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "assistant.service": ("Assistant", "index_state"),
        "assistant.records": ("Answer", "Citation", "Passage", "ABSTENTION"),
        "assistant.interfaces": ("Encoder", "Retriever", "Reader", "Reading", "load_reader"),
        "assistant.retrieval": ("HybridSearch",),
        "assistant.langchain_retriever": ("HybridRetriever",),
        "assistant.llm": ("LLM_MODES",),
    },
)
