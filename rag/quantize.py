"""The fast embedder's model: the shipped all-MiniLM-L6-v2 int8 ONNX file, rewritten so that its
matrix products run on integers.

The shipped file stores int8 weights that onnxruntime turns into float32 when it loads them, so all
its matrix products run in float. Here those weights are folded back to float and quantized again,
per output channel, by onnxruntime's dynamic quantization (MatMulInteger: int8 kernels, VNNI where
the CPU has it). The file is built once from the installed package (nothing is downloaded) into the
model folder, named after the shipped file's hash so that another release is built anew.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigError, RagError


def fast_model(model_dir: Path, notify: Callable[[str], None] | None = None) -> Path:
    """The integer model's file in the model folder, built there first if it is not yet."""
    from .embeddings import shipped_model

    source = shipped_model()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    target = model_dir / f"all-MiniLM-L6-v2-int8-dynamic-{digest}.onnx"
    if target.is_file():
        return target
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise ConfigError(
            "embedder 'minilm-int8-fast' (RAG_EMBEDDER) needs the onnx package: pip install -e '.[fast]'"
        ) from None
    if notify:
        notify(f"building the fast embedder's model in {target} (once, a few seconds)")
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".fast-embedder-", dir=model_dir) as work:
            folded, quantized = Path(work) / "float.onnx", Path(work) / "dynamic.onnx"
            onnx.save(_float_weights(onnx.load(str(source))), str(folded))
            logging.disable(logging.WARNING)  # its advice to pre-process the model, on the root logger
            try:
                quantize_dynamic(
                    folded,
                    quantized,
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    op_types_to_quantize=["MatMul"],
                )
            finally:
                logging.disable(logging.NOTSET)
            quantized.replace(target)  # whole or not at all: two processes may build it at once
    except OSError as exc:
        raise RagError(
            f"cannot write the fast embedder's model to {model_dir}: {exc.strerror or exc}"
        ) from exc
    return target


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
