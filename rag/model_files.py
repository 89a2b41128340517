"""Embedding model files derived from the shipped all-MiniLM-L6-v2 int8 ONNX file, built once from
the installed package (nothing is downloaded) into the model folder, each named after the shipped
file's hash so that another release is built anew:

- the lean model (the default embedder's): the same graph without its no-op NaN guards. After each
  attention softmax the export adds `Where(IsNaN(p), 0, p)`, for rows whose every key is masked;
  the mask adds the most negative float, not minus infinity, so no row is ever NaN. Its vectors are
  the shipped model's (the same operations on the same numbers), in less time.
- the fast model (RAG_EMBEDDER=minilm-int8-fast): matrix products on integers. The shipped file
  stores int8 weights that onnxruntime turns into float32 when it loads them, so all its products
  run in float; here they are folded back to float and quantized again, per output channel, by
  onnxruntime's dynamic quantization (MatMulInteger: int8 kernels, VNNI where the CPU has it),
  without the NaN guards too.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigError, RagError


def lean_model(model_dir: Path, notify: Callable[[str], None] | None = None) -> Path:
    """The shipped model without its NaN guards, built into the model folder first if it is not yet."""
    target, source = _target(model_dir, "lean")
    if not target.is_file():
        import onnx

        building = f"preparing the embedding model in {target} (once, a second)"
        _write(
            target,
            lambda path: onnx.save(_without_nan_guards(onnx.load(str(source))), str(path)),
            building,
            notify,
        )
    return target


def fast_model(model_dir: Path, notify: Callable[[str], None] | None = None) -> Path:
    """The integer model's file in the model folder, built there first if it is not yet."""
    target, source = _target(model_dir, "dynamic-lean")
    if target.is_file():
        return target
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:  # a dependency of rag, so only a damaged install lacks it
        raise ConfigError(
            "embedder 'minilm-int8-fast' (RAG_EMBEDDER) needs the onnx package: pip install 'onnx>=1.16'"
        ) from None

    def build(path: Path) -> None:
        folded = path.with_name("float.onnx")
        onnx.save(_without_nan_guards(_float_weights(onnx.load(str(source)))), str(folded))
        logging.disable(logging.WARNING)  # its advice to pre-process the model, on the root logger
        try:
            quantize_dynamic(
                folded, path, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
            )
        finally:
            logging.disable(logging.NOTSET)

    _write(target, build, f"building the fast embedder's model in {target} (once, a few seconds)", notify)
    return target


def _target(model_dir: Path, kind: str) -> tuple[Path, Path]:
    """Where the model of this kind goes, and the shipped file it is made from."""
    from .embeddings import shipped_model

    source = shipped_model()
    return model_dir / f"all-MiniLM-L6-v2-int8-{kind}-{_digest(source)}.onnx", source


@functools.cache
def _digest(source: Path) -> str:
    """The start of a file's sha256: read once a process (23 MB, about 25 ms), not once an embedder."""
    return hashlib.sha256(source.read_bytes()).hexdigest()[:12]


def _write(
    target: Path, build: Callable[[Path], None], building: str, notify: Callable[[str], None] | None
) -> None:
    """Build the file in a work folder beside it (saying so once the folder is there), then move it
    in whole: two processes may build it at once, and a killed build leaves no half file under the
    target's name."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".embedder-", dir=target.parent) as work:
            if notify:
                notify(building)
            built = Path(work) / "model.onnx"
            build(built)
            built.replace(target)
    except OSError as exc:
        raise RagError(
            f"cannot write an embedding model to {target.parent}: {exc.strerror or exc} "
            "(set RAG_MODEL_DIR to a folder that can be written)"
        ) from exc


def _without_nan_guards(model: Any) -> Any:
    """The model with each `Where(IsNaN(p), 0, p)` replaced by p."""
    graph = model.graph
    producers = {output: node for node in graph.node for output in node.output}
    replaced: dict[str, str] = {}
    for node in list(graph.node):
        guard = producers.get(node.input[0]) if node.op_type == "Where" else None
        if guard is None or guard.op_type != "IsNaN" or node.input[2] != guard.input[0]:
            continue
        replaced[node.output[0]] = guard.input[0]
        graph.node.remove(node)
        graph.node.remove(guard)
    for node in graph.node:
        for position, name in enumerate(node.input):
            node.input[position] = replaced.get(name, name)
    return model


def _float_weights(model: Any) -> Any:
    """The model with each int8 weight of a matrix product and its scale (Cast then Mul) replaced by
    the float weight; the embedding tables, which no matrix product reads, stay int8."""
    from onnx import numpy_helper

    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    producers = {output: node for node in graph.node for output in node.output}
    multiplied = {name for node in graph.node if node.op_type == "MatMul" for name in node.input}
    folded, dropped = [], []
    for node in graph.node:
        cast = producers.get(node.input[0]) if node.op_type == "Mul" else None
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in initializers:
            continue
        if node.input[1] not in initializers or node.output[0] not in multiplied:
            continue
        weight = numpy_helper.to_array(initializers[cast.input[0]]).astype("float32")
        scale = numpy_helper.to_array(initializers[node.input[1]]).astype("float32")
        folded.append(numpy_helper.from_array(weight * scale, node.output[0]))
        dropped += [cast, node]
    for node in dropped:
        graph.node.remove(node)
    graph.initializer.extend(folded)
    used = {name for node in graph.node for name in node.input}
    for initializer in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(initializer)
    return model
