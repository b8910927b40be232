"""How many comments per second can this CPU's int8 matrix multiply possibly give?

    python bench/int8_ceiling.py --data_dir ../shared/data/goemotions

Times ONNX Runtime's int8 and fp32 matrix multiply alone (the shape of a MiniLM feed-forward layer on
a batch of 64 comments), counts the multiply-adds a comment needs through the exported model (its
real token count on the test split; the last layer computes [CLS] only), and prints the throughput
that would follow if the matrix products ran at that speed and everything else took no time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def gemm_ops_per_second(dtype: str, rows: int, inner: int, cols: int, threads: int, repeats: int = 50) -> float:
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    if dtype == "int8":
        weight = numpy_helper.from_array(rng.integers(-127, 127, (inner, cols)).astype(np.int8), "W")
        node, a_type, y_type = helper.make_node("MatMulInteger", ["A", "W"], ["Y"]), TensorProto.UINT8, TensorProto.INT32
        a = rng.integers(0, 255, (rows, inner)).astype(np.uint8)
    else:
        weight = numpy_helper.from_array(rng.standard_normal((inner, cols)).astype(np.float32), "W")
        node, a_type, y_type = helper.make_node("MatMul", ["A", "W"], ["Y"]), TensorProto.FLOAT, TensorProto.FLOAT
        a = rng.standard_normal((rows, inner)).astype(np.float32)
    graph = helper.make_graph([node], "gemm", [helper.make_tensor_value_info("A", a_type, [rows, inner])],
                              [helper.make_tensor_value_info("Y", y_type, [rows, cols])], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    for _ in range(5):
        session.run(None, {"A": a})
    start = time.perf_counter()
    for _ in range(repeats):
        session.run(None, {"A": a})
    return 2 * rows * inner * cols * repeats / (time.perf_counter() - start)


def ops_per_comment(config: dict, tokens: float) -> float:
    """Multiply-adds x 2 in the weight matrices (attention scores are small at these lengths)."""
    hidden, ffn, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    per_token = 4 * hidden * hidden + 2 * hidden * ffn  # q, k, v, output; feed-forward in and out
    last_layer = 2 * hidden * hidden * tokens + (2 * hidden * hidden + 2 * hidden * ffn)  # k, v for all; rest [CLS]
    return 2 * ((layers - 1) * per_token * tokens + last_layer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "minilm-goemotions"))
    parser.add_argument("--data_dir", default=os.environ.get("GOEMOTIONS_DIR"))
    args = parser.parse_args()
    from transformers import AutoTokenizer

    from emotion.serve.backends import cpu_threads, instruction_set
    from emotion.checkpoint import Checkpoint
    from emotion.data import load_split

    config = Checkpoint.open(args.checkpoint).config
    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint)
    texts = list(load_split("test", args.data_dir)["text"])
    tokens = float(np.mean([len(ids) for ids in tokenizer(texts, truncation=True, max_length=128)["input_ids"]]))
    need = ops_per_comment(config, tokens)
    threads = cpu_threads()
    rows = 64 * round(tokens)
    print(f"{threads} threads, {instruction_set()}; {tokens:.1f} tokens per test comment; {need / 1e6:.0f} M ops per comment")
    for dtype in ("fp32", "int8"):
        for n in sorted({1, threads}):
            speed = gemm_ops_per_second(dtype, rows, config["hidden_size"], config["intermediate_size"], n)
            print(f"{dtype} matmul {rows}x{config['hidden_size']}x{config['intermediate_size']}, {n} thread(s): "
                  f"{speed / 1e9:.0f} G ops/s -> at most {speed / need:.0f} comments/s")


if __name__ == "__main__":
    main()
