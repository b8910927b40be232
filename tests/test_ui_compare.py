"""The Compare, Slices and Probe views and the explorer's slice filter, on the tiny checkpoint."""

import numpy as np
import pytest

from emotion.analysis.tables import OUTCOMES
from emotion.labels import LABELS
from emotion.metrics import binarize
from emotion.analysis.slices import headline
from emotion.thresholds import Thresholds
from emotion.ui import compare_tab, errors_tab, probe_tab, slices_tab
from emotion.ui.context import AppContext


@pytest.fixture(scope="module")
def ctx(served, tiny_checkpoint):
    return AppContext(served, str(tiny_checkpoint.parent / "data"))


def test_a_slice_filters_the_explorer_and_its_metrics_equal_a_direct_computation(ctx):
    test = ctx.data.test_set()
    slices = slices_tab.built_in(ctx)
    name = max(slices, key=lambda n: (0 < slices[n].sum() < len(test.ids), slices[n].sum()))  # a slice, not everything
    rows, _, _ = errors_tab.filter_rows(ctx, 0.5, "(any)", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "",
                                        errors_tab.WORST, name)
    assert sorted(rows.index) == np.flatnonzero(slices[name]).tolist()
    summary = errors_tab.explore(ctx, 0.5, "(any)", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "", errors_tab.WORST,
                                 name).summary
    direct = headline(test.y_true, binarize(test.probs, 0.5).astype(bool), rows.index.to_numpy())
    assert f"These comments: micro F1 {direct['micro_f1']:.3f}" in summary and "whole test set: micro" in summary
    assert "not stable" in summary  # the tiny test set has 24 comments


def test_the_slices_view_lists_every_built_in_slice_worst_first(ctx):
    table = slices_tab.view(ctx, "per_class").table
    assert "all test comments" in table and "question" in table and "likely mislabelled" in table  # served has an audit


def test_the_compare_view_against_a_profile_and_its_disputed_comment(ctx):
    profile = Thresholds(0.99, {n: 0.99 for n in LABELS}, "strict").to_dict()  # predicts almost nothing
    found = compare_tab.compare(ctx, "per_class", compare_tab.PROFILE, profile)
    assert "Micro F1 B − A" in found.summary and "profile strict" in found.summary and "macro F1" in found.table
    assert "data-pick" in found.browser
    text, a, b = compare_tab.open_comment(ctx, compare_tab.PROFILE, profile, 0)
    assert text == ctx.data.test_set().texts[0] and b["thresholds"] == [0.99] * 28 and a["thresholds"] != b["thresholds"]
    assert "gold" in a
    nothing = compare_tab.compare(ctx, "per_class", compare_tab.NOTHING, None)
    assert "Choose a checkpoint" in nothing.summary
    for path in ("/etc", str(ctx.model.checkpoint.path.parent)):  # a path from the browser is never opened
        assert "Choose one of the listed" in compare_tab.compare(ctx, "per_class", path, None).summary
    assert "no profile yet" in compare_tab.compare(ctx, "per_class", compare_tab.PROFILE, None).summary


def test_the_checks_view_lists_failing_cases_to_open(ctx):
    note, table, failing = probe_tab.view(ctx)
    assert "cases in" in note and "</b> fail (" in note and "failure_rate" in table
    assert "data-pick" in failing  # the tiny model fails plenty of them


def test_slow_work_has_one_worker_and_its_own_share_of_the_queue(ctx):
    import asyncio
    from types import SimpleNamespace

    from emotion.ui.server import Serving, bound_queue, build_app

    demo = build_app(ctx)
    by_id, first, predict = {}, {}, None
    for i, fn in demo.fns.items():
        by_id.setdefault(fn.concurrency_id, set()).add(fn.concurrency_limit)
        first.setdefault(fn.concurrency_id, i)
        predict = i if fn.api_name == "predict" else predict
    assert by_id["explain"] == {1} and by_id["adapt"] == {1}  # explanations; fitting and proposing a sample
    # The app's own wiring, in front of a stand-in for Gradio's queue: a burst of explanations or fits is
    # refused once its share waits, and predictions still get in, with room left in the whole queue.
    serving = Serving()
    waiting = {cid: SimpleNamespace(queue=[]) for cid in by_id}

    async def push(body, request, username):
        return True, "event", "success"

    queue = SimpleNamespace(push=push, event_queue_per_concurrency_id=waiting)
    bound_queue(SimpleNamespace(_queue=queue, fns=demo.fns), serving)

    assert predict is not None

    def send(fn_index):
        return asyncio.run(queue.push(SimpleNamespace(fn_index=fn_index), None, None))

    shares = dict(serving.shares)
    assert sum(shares.values()) < serving.queue
    for cid in ("explain", "adapt"):
        waiting[cid].queue[:] = [None] * (shares[cid] - 1)
        assert send(first[cid])[0]
        waiting[cid].queue.append(None)
        assert send(first[cid]) == (False, f"Too many {cid} requests are waiting ({shares[cid]}); try again in a few "
                                     "seconds.", "queue_full")
        assert send(predict)[0]
