"""Adapt: carry the model to your platform and your labels. Label a sample here (``label_view``) or upload a
labelled one; a profile re-tunes the thresholds of our labels and fits a head for each of yours, then
answers on the Predict tab for this visitor only."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import gradio as gr
import pandas as pd

from ..profiles.fit import AdaptError, Sample, fit_profile, read_sample
from ..profiles.labelling import LabellingError
from ..profiles.profile import MAX_HEADS, Profile
from . import label_view
from .downloads import download_file
from .notes import NOTE, notice
from .page import Page
from .door import door, names
from .inputs import InputError, check_batch, check_upload_size

TITLE = "Adapt"
REPORT_COLUMNS = ["label", "new", "positives", "served_by", "threshold_before", "threshold_after", "f1_before",
                  "f1_before_95", "f1_threshold_cv", "f1_threshold_95", "f1_head_cv", "f1_head_95", "f1_after_cv",
                  "f1_after_95"]
log = logging.getLogger(__name__)
# Fitting a profile (seconds) and proposing a sample (scoring a file) share one worker and their own part of
# the queue, so a burst of them never holds a prediction (emotion.ui.server.bound_queue).
ADAPT_QUEUE = {"concurrency_limit": 1, "concurrency_id": "adapt"}
INTRO = (
    "Emotions rare on Reddit can be common elsewhere, and your team may have labels of its own. From about 100 "
    "comments of your platform, labelled for the labels you care about, a **profile** re-tunes the thresholds of "
    "our labels and learns each label of yours (a small head on what the model already computes), nothing retrained. "
    "Every figure is cross-validated on your sample. Details: `docs/adapt.md`.")


def fit(page: Page, sample: Sample) -> tuple:
    """The profile's summary, per-label table, download, and the profile for this visitor's Predict tab."""
    check_batch(sample.texts, page.limits)
    profile = fit_profile(page.ctx.model.plain, sample)
    path = profile.save(download_file(f"{sample.name}_profile.json"))
    return (summary_html(profile), profile.report[REPORT_COLUMNS], gr.DownloadButton(value=str(path), visible=True),
            profile.to_dict(summary=False))


def refused(err: Exception) -> tuple:
    log.info("adapt refused: %s", err)
    return (notice(err), pd.DataFrame(columns=REPORT_COLUMNS),
            gr.DownloadButton(visible=False), None)


@door(covered=names(MAX_HEADS + 28, label="The labels the sample covers"))
def tune(page: Page, upload: str | None, covered: list[str]):
    """A profile from an uploaded labelled file."""
    try:
        if not upload:
            raise InputError("Upload a labelled .csv, .jsonl or .parquet file first.")
        check_upload_size(Path(upload), page.limits)
        return fit(page, read_sample(upload, page.ctx.model.labels, covered or None))
    except (InputError, AdaptError) as err:
        return refused(err)


def tune_session(page: Page, key: str, session: str | None):
    """A profile from the answers of a labelling session so far."""
    try:
        return fit(page, label_view.fit_session(page, key, session))
    except (InputError, AdaptError, LabellingError) as err:
        return refused(err)


def summary_html(profile: Profile) -> str:
    s = profile.summary
    lines = [f"<p><b>{s['sample']['rows']}</b> comments, {len(profile.covered)} labels"
             + (" (weighted by how they were drawn)" if s["sample"]["weighted"] else "") + ".</p>"]
    if s.get("small_sample"):  # said first and plainly: few labels cannot show much (issue 35)
        lines.append(f"<p class='note' id='adapt-small'><b>{html.escape(s['small_sample'])}</b></p>")
    if s["macro_f1_before"] is not None:
        lines.append(f"<p>Macro F1 over our labels, cross-validated on your sample: <b>{s['macro_f1_before']:.3f}</b> "
                     f"with the current thresholds ({s['macro_f1_before_95'][0]:.3f}–{s['macro_f1_before_95'][1]:.3f}) → "
                     f"<b>{s['macro_f1_after_cv']:.3f}</b> adapted ({s['macro_f1_after_95'][0]:.3f}–"
                     f"{s['macro_f1_after_95'][1]:.3f}); gain {s['gain_95'][0]:+.3f} to {s['gain_95'][1]:+.3f}.</p>")
    if s["new_labels"]:
        weakest = profile.report.sort_values("f1_after_cv").iloc[0]
        lines.append(f"<p>Your new labels: <b>{html.escape(', '.join(s['new_labels']))}</b>. Macro F1 over every label "
                     f"served: <b>{s['macro_f1_all_cv']:.3f}</b> ({s['macro_f1_all_95'][0]:.3f}–"
                     f"{s['macro_f1_all_95'][1]:.3f}). Weakest: {html.escape(str(weakest['label']))} "
                     f"({weakest['f1_after_cv']:.2f}, {int(weakest['positives'])} positives): label more comments "
                     "that carry it.</p>")
    lines += [notice(w, NOTE) for w in s["warnings"]]
    return "".join(lines)


def build(page: Page, tab: gr.Tab) -> None:
    gr.Markdown(INTRO)
    key, sessions, note = label_view.build(page)
    from_session = gr.Button("Fit a profile from the answers so far", variant="primary", elem_id="label-fit")
    with gr.Accordion("…or upload a file you labelled elsewhere", open=False):
        gr.Markdown("A `text` column and one 0/1 column per label (ours by name, any other name is a new label), or a "
                    "`labels` column of comma-separated names with the labels it covers chosen here.")
        with gr.Row():
            upload = gr.File(label="Labelled comments (.csv / .jsonl / .parquet)",
                             file_types=[".csv", ".jsonl", ".parquet"], scale=2, elem_id="adapt-upload")
            covered = gr.Dropdown(page.ctx.model.labels, multiselect=True, scale=3, allow_custom_value=True,
                                  label="Labels the sample covers (needed with a 'labels' column; "
                                        "0/1 columns say it themselves)")
        run = gr.Button("Fit a profile from this file")
    gr.Markdown("**2. Your profile**")
    summary = gr.HTML(elem_id="adapt-summary")
    report = gr.Dataframe(pd.DataFrame(columns=REPORT_COLUMNS), interactive=False, elem_id="adapt-report",
                          label="Per label: positives in the sample, what serves it (threshold or head), F1 with the "
                                "current thresholds, cross-validated F1 of each option and of the one kept, with 95% "
                                "bootstrap intervals")
    proposed = gr.JSON(None, visible=False)
    with gr.Row():
        download = gr.DownloadButton("Download the profile (JSON)", visible=False)
        use = gr.Button("Predict with this profile", interactive=False, elem_id="adapt-use")
        back = gr.Button("Back to the checkpoint's thresholds")
    outputs = [summary, report, download, proposed]
    run.click(lambda u, c: tune(page, u, c), [upload, covered], outputs, api_visibility="undocumented", **ADAPT_QUEUE)
    from_session.click(lambda k, s: tune_session(page, k, s), [key, sessions], outputs, api_visibility="undocumented",
                       **ADAPT_QUEUE)
    tab.select(lambda k: label_view.refresh_sessions(page, k), [key], [key, sessions, note],
               api_visibility="undocumented", show_progress="hidden", js=label_view.READ_KEY_JS)
    proposed.change(None, [proposed], [use], js="(p) => ({__type__: 'update', interactive: !!p})")
    # The profile is this person's: it lives in their page (page.profile), not in the server.
    use.click(None, [proposed], [page.profile], js="(p) => p")
    back.click(None, None, [page.profile], js="() => null")
