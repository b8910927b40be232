"""What a stranger may send the running app (../shared/reports/hostile-input-trial.md): each case gets a
clear refusal or a sane answer, never a traceback, and the server keeps answering predictions."""

import pytest

BIG = "x" * 1_000_000

# (endpoint, arguments, the refusal's words, or None when the call must succeed)
CASES = [
    ("/predict", (12345, None), "must be a string"),
    ("/predict", (["a", "b"], None), "must be a string"),
    ("/predict", ("", None), "empty"),
    ("/predict", ("ok", 2.0), "threshold must lie in"),
    ("/predict", ("ok", "abc"), "threshold must be"),
    ("/predict_batch", ("lol what", None), "A batch is a list of texts"),
    ("/predict_batch", ([1, "ok"], None), "item 0 is int"),
    ("/predict_batch", ([BIG, BIG, BIG], None), "the limit is 2 MB"),
    ("/predict_batch", (["ok"] * 1001, None), "over the limit of 1,000"),
    ("/predict_batch", ([None, None], None), "No comments found"),
    ("/explain", ("i love it", 5), "Unknown label"),
    ("/explain", ("i love it", "happiness"), "Unknown label"),
    ("/similar", ("i love it", "abc"), "whole number"),
    ("/similar", ("i love it", 1000), "between 1 and 100"),
    ("/similar", ("i love it", 2.5), "whole number"),
    ("/predict", ("x" * 20_000, None), None),
]


@pytest.mark.parametrize("endpoint, args, refusal", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_is_refused_in_words(app_url, endpoint, args, refusal):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    if refusal is None:
        client.predict(*args, api_name=endpoint)
    else:
        with pytest.raises(AppError, match=refusal):
            client.predict(*args, api_name=endpoint)
    assert len(client.predict("thanks a lot", None, api_name="/predict")["probabilities"]) == 28


def test_a_none_in_a_batch_is_a_blank_item_and_long_items_come_back_cut(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    out = client.predict([None, "ok sure", "y" * 6_000], None, api_name="/predict_batch")
    assert out[0]["error"].startswith("Type or paste a comment") and out[1]["labels"] is not None
    assert len(out[2]["text"]) == 5_000  # the README's limit: what was scored is what comes back
