"""Export a checkpoint to ONNX with ``torch.onnx`` and quantize it to int8 with ONNX Runtime.

Needs PyTorch, onnx and onnxscript (``requirements-train.txt``); serving a checkpoint that ships its
ONNX graph needs none of them.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import os
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from ..checkpoint import FP32_ROLES


class ClsOnlyLastLayer(nn.Module):
    """The last encoder layer computed for the [CLS] position only.

    The classification head reads nothing but [CLS], and its keys and values still come from
    every token, so the logits are those of the full model (to float rounding) while the last
    layer's feed-forward and projections run on one row instead of one per token.
    """

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None, *args, **kwargs):
        attention = self.layer.attention.self
        batch, heads, size = hidden_states.shape[0], attention.num_attention_heads, attention.attention_head_size
        cls = hidden_states[:, :1]
        query = attention.query(cls).view(batch, 1, heads, size).transpose(1, 2)
        key = attention.key(hidden_states).view(batch, -1, heads, size).transpose(1, 2)
        value = attention.value(hidden_states).view(batch, -1, heads, size).transpose(1, 2)
        if attention_mask is not None:
            attention_mask = attention_mask[:, :, :1, :]
        context = nn.functional.scaled_dot_product_attention(
            query, key, value, attn_mask=attention_mask, scale=attention.scaling
        )
        attended = self.layer.attention.output(context.transpose(1, 2).reshape(batch, 1, heads * size), cls)
        return self.layer.feed_forward_chunk(attended)


def with_cls_only_last_layer(model: nn.Module) -> nn.Module:
    """A copy of a BERT-family classifier whose last layer computes [CLS] only; other
    architectures are returned unchanged (copied), since their heads may read other positions."""
    model = copy.deepcopy(model)
    encoder = getattr(getattr(model, model.base_model_prefix, None), "encoder", None)
    layers = getattr(encoder, "layer", None)
    is_bert = type(model).__name__ == "BertForSequenceClassification"
    if is_bert and layers is not None and hasattr(layers[-1], "feed_forward_chunk"):
        layers[-1] = ClsOnlyLastLayer(layers[-1])
    return model


class _Logits(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export_onnx(model: nn.Module, path: str | os.PathLike) -> None:
    """Export logits(input_ids, attention_mask) with dynamic batch and length to one ONNX file."""
    model = with_cls_only_last_layer(model).float().cpu().eval()
    sample = (torch.full((2, 8), 100, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    dims = {0: torch.export.Dim("batch"), 1: torch.export.Dim("length")}
    # The exporter reports each pass on stdout and warns about optional packages; keep the user's
    # console for what matters to them.
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exporter_log.setLevel(logging.ERROR)
        try:
            torch.onnx.export(
                _Logits(model), sample, str(path), input_names=["input_ids", "attention_mask"],
                output_names=["logits"], dynamic_shapes=(dims, dims), dynamo=True, external_data=False,
            )
        finally:
            exporter_log.setLevel(level)


def products_by_role(graph) -> dict[str, list[str]]:
    """The names of an exported encoder's weight products (MatMul with a constant right side) by role:
    ``first``, the first layer's six (the embeddings' sums, before any layer norm has tamed them);
    ``ffn_out``, each feed-forward output (it reads GELU's heavy-tailed output, int8's usual casualty)."""
    constants = {tensor.name for tensor in graph.initializer}
    producer = {name: node for node in graph.node for name in node.output}
    products = [node for node in graph.node if node.op_type == "MatMul" and node.input[1] in constants]
    ffn_out = [i for i, node in enumerate(products)
               if getattr(producer.get(node.input[0]), "op_type", None) in ("Gelu", "BiasGelu", "FastGelu")]
    if not ffn_out:
        raise ValueError("No feed-forward output (a MatMul reading a Gelu) in this graph; is it a BERT-family encoder?")
    return {"first": [node.name for node in products[:ffn_out[0] + 1]],
            "ffn_out": [products[i].name for i in ffn_out]}


def quantize_onnx(source: str | os.PathLike, target: str | os.PathLike, fp32: tuple[str, ...] = ()) -> None:
    """int8 weights, activations quantized on the fly: no calibration data needed.

    One scale per output channel: on the shipped model's dev set it halves the label flips against
    torch (487 vs 947 of 151,928 decisions) and runs no slower than one scale per matrix. ``fp32``
    names roles (``FP32_ROLES``) whose products stay fp32, for a model that int8 hurts too much.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic

    unknown = set(fp32) - set(FP32_ROLES)
    if unknown:
        raise ValueError(f"Unknown fp32 roles {sorted(unknown)}; choose from {', '.join(FP32_ROLES)}.")
    # The quantizer logs through the root logger, which installs a console handler as a side
    # effect; an app's logging set-up is not ours to change.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    root.setLevel(logging.WARNING)  # and it reports every tensor it skips at INFO (~40 lines a model)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # The recommended clean-up pass (graph optimization, shape inference) before quantizing;
            # symbolic shape inference cannot follow the dynamic length through the exported graph.
            prepared = Path(tmp) / "prepared.onnx"
            quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
            roles = products_by_role(onnx.load(str(prepared)).graph) if fp32 else {}
            kept = [name for role in fp32 for name in roles[role]]
            quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8, per_channel=True,
                             nodes_to_exclude=kept)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
