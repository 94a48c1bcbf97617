"""The assistant's parts behind Protocols: the encoder, the retriever and the reader, and a
reader chosen by configuration (REPORTS_READER)."""

from __future__ import annotations

import pytest

from assistant.interfaces import Encoder, Reader, Retriever, load_reader
from assistant.reader import LearnedReader
from assistant.retrieval import HybridSearch
from assistant.service import Assistant
from ingest.settings import Settings
from tests.support.readers import LeadSentenceReader


def test_the_default_reader_is_the_learned_one():
    reader = load_reader(Settings().reader)
    assert isinstance(reader, LearnedReader)
    assert isinstance(reader, Reader)


@pytest.mark.slow  # the development index
def test_the_parts_in_use_satisfy_the_protocols(evaluation_assistant):
    assert isinstance(evaluation_assistant.embeddings, Encoder)
    assert isinstance(evaluation_assistant.retriever, HybridSearch)
    assert isinstance(evaluation_assistant.retriever, Retriever)
    assert isinstance(evaluation_assistant.reader, Reader)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("LearnedReader", "package.module:ClassName"),
        ("assistant.reader:NoSuchReader", "names no class"),
        ("no_such_package.readers:Reader", "names no class"),
        ("tests.support.readers:NotAReader", "is not a reader"),
    ],
)
def test_a_reader_setting_that_names_no_reader_is_a_clear_error(spec, message):
    with pytest.raises(ValueError, match=message) as error:
        load_reader(spec)
    assert "REPORTS_READER" in str(error.value)


def test_the_reader_setting_is_read_from_the_environment():
    spec = "tests.support.readers:LeadSentenceReader"
    assert Settings.from_env({"REPORTS_READER": spec}).reader == spec


@pytest.mark.slow  # the development index
def test_another_reader_answers_when_the_settings_name_it(evaluation_settings, embeddings):
    settings = evaluation_settings.with_(reader="tests.support.readers:LeadSentenceReader")
    assistant = Assistant(settings, embeddings=embeddings)
    assert isinstance(assistant.reader, LeadSentenceReader)

    answer = assistant.ask("津市がパリ地域経済開発局と協定を結んだのはいつですか？")

    first = answer.retrieved[0].chunk
    assert answer.question_type == "lead" and not answer.abstained
    assert answer.citations[0].chunk_id == first.chunk_id
    assert first.text.startswith(answer.citations[0].text)
    assert answer.answer.startswith("資料の冒頭です。[1]")
