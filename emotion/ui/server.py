"""Assemble the Gradio Blocks from the tab modules, and the two API endpoints."""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
from gradio.exceptions import ComponentProcessingError

from . import (about_tab, adapt_tab, classes_tab, compare_tab, errors_tab, metrics_tab, predict_tab, probe_tab, quality_tab,
               slices_tab)
from .page import Page
from .threshold_controls import shared_threshold
from .views import wire_views
from ..analysis.explain import explain
from .context import AppContext, DataUnavailable
from .why import EXPLAIN_QUEUE, IndexNotReady, similar
from .inputs import InputError, Limits, check_batch, read_comment
from .predict_tab import BATCH_QUEUE

TITLE = "GoEmotions: multi-label emotion classifier for Reddit-style comments"
CSS = Path(__file__).with_name("app.css").read_text()
# Gradio's chart module, named by a content hash that changes with each Gradio release.
PLOTLY = next((f"./assets/{path.name}" for path in (Path(gr.__file__).parent / "templates" / "frontend" /
                                                     "assets").glob("PlotlyPlot-*.js")), None)
JS = Path(__file__).with_name("app.js").read_text().replace("__PLOTLY__", json.dumps(PLOTLY))  # run once at page load
# Gradio's Soft theme with every text at WCAG AA contrast (4.5:1): darker labels, hints and selections.
THEME = gr.themes.Soft().set(
    block_label_text_color="*primary_800", block_title_text_color="*primary_800", block_info_text_color="*neutral_600",
    body_text_color_subdued="*neutral_600", checkbox_label_background_fill_selected="*primary_700",
    button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800",
)
ANALYSIS_TABS = (classes_tab, metrics_tab, errors_tab, slices_tab, compare_tab)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Serving:
    """What one server holds for its visitors, whatever they send."""

    sessions: int = 200  # browser sessions whose state is kept (Gradio's default, 10,000, let memory grow ~290 KB each)
    workers: int = 4  # requests run at once (explanations and profile fits: one of them each at most)
    queue: int = 256  # requests waiting, all endpoints together
    # At most this many waiting per concurrency id: explanations, profile fits, batches (BATCH_QUEUE).
    shares: tuple[tuple[str, int], ...] = (("explain", 16), ("adapt", 8), ("batch", 16))
    sweep: tuple[int, int] = (900, 3600)  # every 15 min, delete uploads and downloads older than an hour


def bound_queue(demo: gr.Blocks, serving: Serving) -> None:
    """Refuse a request at once when its concurrency id already has its share waiting, so that a burst
    on one endpoint (explanations) cannot fill the queue that predictions need. Gradio bounds only the
    queue as a whole; this wraps its push and logs each refusal."""
    queue = getattr(demo, "_queue", None)
    if queue is None or not hasattr(queue, "push") or not hasattr(queue, "event_queue_per_concurrency_id"):
        log.warning("This Gradio has no queue to bound per endpoint; explanations share the whole queue")
        return
    shares, push = dict(serving.shares), queue.push
    full = {"count": 0, "logged": 0.0}  # Gradio's own "Queue is full" refusals since the last log line

    async def bounded_push(body, request, username):
        fn = demo.fns.get(body.fn_index) if body.fn_index is not None else None
        share = shares.get(getattr(fn, "concurrency_id", None))
        waiting = queue.event_queue_per_concurrency_id.get(getattr(fn, "concurrency_id", None))
        if share is not None and waiting is not None and len(waiting.queue) >= share:
            log.warning("refused a request to %s: %d already waiting, its share of the queue", fn.concurrency_id, share)
            return False, f"Too many {fn.concurrency_id} requests are waiting ({share}); try again in a few seconds.", "queue_full"
        answer = await push(body, request, username)
        if not answer[0] and answer[2] == "queue_full":  # a flood can refuse thousands a second: one line a minute
            full["count"] += 1
            if time.monotonic() - full["logged"] >= 60:
                log.warning("refused %d request(s) since the last such line: the whole queue is full (%d waiting)",
                            full["count"], serving.queue)
                full.update(count=0, logged=time.monotonic())
        return answer

    queue.push = bounded_push


def refuse_malformed_values(demo: gr.Blocks) -> None:
    """A call with fewer values than its endpoint takes (``/predict_batch`` with none), or a value its control
    cannot take (a slider's "abc"), is refused in one line naming what it takes: Gradio's own checks raise
    errors that reach the client as ``null``, with a traceback in the log."""
    check, preprocess = demo.validate_inputs, demo.preprocess_data

    async def preprocess_data(block_fn, inputs, state, *args, **kwargs):
        # A text box's max_length holds in the browser only; here it holds before Gradio keeps the value in the
        # visitor's session state (a 5 MB filter was kept there, 200 sessions over).
        for block, value in zip(block_fn.inputs, inputs):
            limit = getattr(block, "max_length", None) if isinstance(block, gr.Textbox) else None
            if limit and isinstance(value, str) and len(value) > limit:
                raise refuse(InputError(f'"{block.label or "The text"}" is {len(value):,} characters long; the limit '
                                        f"is {limit:,}."))
        try:
            return await preprocess(block_fn, inputs, state, *args, **kwargs)
        except ComponentProcessingError as err:
            found = re.search(r"input component at index (\d+) \(a `(\w+)` component\)", str(err))
            where = f"Value {int(found[1]) + 1} (a {found[2]})" if found else "A value"
            raise refuse(InputError(f"{where} cannot take what was sent: {str(err.__cause__ or err)[:120]}")) from None

    def validate(block_fn, inputs):
        try:
            check(block_fn, inputs)
        except ValueError:
            try:
                wanted = ", ".join(inspect.signature(block_fn.fn).parameters)
            except (TypeError, ValueError):
                wanted = f"{len(block_fn.inputs)} values"
            raise refuse(InputError(f"{block_fn.api_name or 'This event'} takes {wanted}; got {len(inputs)} "
                                    "value(s).")) from None

    demo.validate_inputs, demo.preprocess_data = validate, preprocess_data


def serve(demo: gr.Blocks, serving: Serving, limits: Limits, **launch) -> None:
    """Queue and launch ``demo`` with the bounds of ``serving`` and ``limits`` (uploads over the limit are
    refused before they are stored)."""
    demo.queue(default_concurrency_limit=serving.workers, max_size=serving.queue)
    bound_queue(demo, serving)
    refuse_malformed_values(demo)
    demo.launch(state_session_capacity=serving.sessions, max_file_size=limits.max_upload_bytes, **launch)


def refuse(err: Exception) -> gr.Error:
    """A client's input error: one log line here, the message to the client, no traceback."""
    log.info("request refused: %s", err)
    return gr.Error(str(err), print_exception=False)


def api_predict(ctx: AppContext, limits: Limits, text: str, threshold: float | None = None) -> dict:
    """Predict the emotions of one comment. threshold: None uses the checkpoint's tuned per-class
    thresholds; a number in [0, 1] applies to every label."""
    try:
        text, notices = read_comment(ctx.model.classifier, text, limits)
        p = ctx.model.classifier.predict(text, threshold=threshold, top_k=3)
    except (InputError, ValueError) as err:
        raise refuse(err) from None
    return {"labels": p.labels, "top": p.top, "probabilities": p.probabilities,
            "thresholds": ctx.model.classifier.describe_thresholds(threshold),
            "notices": notices}


def api_predict_batch(ctx: AppContext, limits: Limits, texts: list[str], threshold: float | None = None) -> list[dict]:
    """One result per input, in order: a blank input gets an entry that says so."""
    try:
        cut = check_batch(texts, limits)
        ctx.model.classifier.threshold_array(threshold)
    except (InputError, ValueError) as err:
        raise refuse(err) from None
    results = []
    for original, text in zip(texts, cut):
        try:  # notices are about the text as sent; the answer echoes it as scored
            results.append({"text": text, **api_predict(ctx, limits, original or "", threshold)})
        except gr.Error as err:
            results.append({"text": text, "labels": [], "top": [], "probabilities": {}, "error": err.message})
    return results


def api_explain(ctx: AppContext, limits: Limits, text: str, label: str | None = None) -> dict:
    """Each word's effect on each label's probability (or one label's), with the faithfulness check."""
    try:
        text, notices = read_comment(ctx.model.classifier, text, limits)
        labels = ctx.model.classifier.labels
        if label is not None and (not isinstance(label, str) or label not in labels):
            raise InputError(f"Unknown label {label!r}; the labels are {', '.join(labels)}.")
    except InputError as err:
        raise refuse(err) from None
    found = explain(ctx.model.classifier, text)
    return {**found.to_dict(None if label is None else labels.index(label)), "notices": notices}


def api_similar(ctx: AppContext, limits: Limits, text: str, k: int = 5) -> list[dict]:
    """The k most similar training comments: id, similarity, gold labels, text."""
    try:
        text, _ = read_comment(ctx.model.classifier, text, limits)
        if isinstance(k, bool) or not isinstance(k, (int, float)) or not float(k).is_integer():
            raise InputError(f"k must be a whole number between 1 and 100, got {k!r}.")
        if not 1 <= int(k) <= 100:
            raise InputError(f"k must be between 1 and 100, got {k}.")
        return similar(ctx, text, int(k))
    except (InputError, DataUnavailable, IndexNotReady) as err:
        raise refuse(err) from None


def build_app(ctx: AppContext, limits: Limits | None = None, serving: Serving | None = None) -> gr.Blocks:
    page = Page(ctx, limits or Limits())
    with gr.Blocks(title=TITLE, delete_cache=(serving or Serving()).sweep,
                   analytics_enabled=os.environ.get("GRADIO_ANALYTICS_ENABLED", "").lower() == "true") as demo:
        gr.Markdown(f"# {TITLE}\n27 emotions + neutral, fine-tuned on GoEmotions. Drag a threshold to see "
                    "the predictions change; the test-set tabs recompute everything from stored probabilities.")
        page.profile = gr.JSON(None, visible=False)
        # On a phone the tabs wrap onto a second row instead of hiding behind a menu.
        with gr.Tabs(overflow_behavior="wrap") as page.tabs:
            with gr.Tab(predict_tab.TITLE, id=predict_tab.TITLE) as tab:
                comment = predict_tab.build(page, tab)
            with gr.Tab("Test set") as test_tab:
                shared_threshold(page)
                page.shown = gr.Textbox(ANALYSIS_TABS[0].TITLE, visible=False)
                page.opened = [test_tab.select]
                with gr.Tabs(overflow_behavior="wrap"):
                    for module in ANALYSIS_TABS:
                        with gr.Tab(module.TITLE) as tab:
                            module.build(page, tab)
                wire_views(page)
            with gr.Tab(quality_tab.TITLE) as tab:
                quality_tab.build(page, tab)
            with gr.Tab(probe_tab.TITLE) as tab:
                probe_tab.build(page, tab, comment)
            with gr.Tab(adapt_tab.TITLE) as tab:
                adapt_tab.build(page, tab)
            with gr.Tab(about_tab.TITLE) as tab:
                about_tab.build(page, tab)

        def predict(text: str, threshold: float | None = None) -> dict:
            """Emotions of one comment: labels above threshold (None = tuned per-class), top 3, all probabilities."""
            return api_predict(ctx, page.limits, text, threshold)

        def predict_batch(texts: list[str], threshold: float | None = None) -> list[dict]:
            """Emotions of many comments, one result each, in order."""
            return api_predict_batch(ctx, page.limits, texts, threshold)

        def explain_words(text: str, label: str | None = None) -> dict:
            """Why one comment got its probabilities: each word's effect on each label (or on ``label``),
            the top words' faithfulness check, and the noise floor of the answering backend."""
            return api_explain(ctx, page.limits, text, label)

        def similar_comments(text: str, k: int = 5) -> list[dict]:
            """The k training comments nearest to ``text`` by the model's own embedding: id, cosine
            similarity, gold labels and text (needs the data folder)."""
            return api_similar(ctx, page.limits, text, k)

        gr.api(predict, api_name="predict")
        gr.api(explain_words, api_name="explain", **EXPLAIN_QUEUE)
        gr.api(similar_comments, api_name="similar")
        gr.api(predict_batch, api_name="predict_batch", **BATCH_QUEUE)
    return demo


__all__ = ["build_app", "serve", "Serving", "TITLE", "CSS", "JS", "THEME"]
