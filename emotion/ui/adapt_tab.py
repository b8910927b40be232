"""Adapt: re-tune the thresholds from a labelled sample of the user's platform, then predict with them."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import gradio as gr
import pandas as pd

from ..adapt import AdaptError, Profile, adapt, read_sample
from .common import Page, download_file
from .inputs import InputError, check_batch, check_upload_size

TITLE = "Adapt"
REPORT_COLUMNS = ["label", "positives", "threshold_before", "threshold_after", "f1_before", "f1_before_95",
                  "f1_after_cv", "f1_after_95"]
log = logging.getLogger(__name__)
INTRO = (
    "Emotions rare on Reddit can be common elsewhere, so thresholds tuned on Reddit may sit too high for your "
    "comments. Upload about 100 comments from your platform, labelled for the emotions you care about: a `text` "
    "column and one 0/1 column per label (named as the model's labels), or a `labels` column of comma-separated "
    "names with the covered labels chosen below. Each covered label's threshold is re-tuned on your sample, "
    "nothing retrained; F1 before and after is estimated by cross-validation on it. Details: `docs/adapt.md`.")


def tune(page: Page, upload: str | None, covered: list[str]):
    """The profile's summary, per-label table, download, and what the browser needs to use it."""
    ctx = page.ctx
    try:
        if not upload:
            raise InputError("Upload a labelled .csv, .jsonl or .parquet file first.")
        check_upload_size(Path(upload), page.limits)
        sample = read_sample(upload, ctx.model.labels, covered or None)
        check_batch(sample.texts, page.limits)
    except (InputError, AdaptError) as err:
        log.info("adapt refused: %s", err)
        return (f"<p class='error'>{html.escape(str(err))}</p>", pd.DataFrame(columns=REPORT_COLUMNS),
                gr.DownloadButton(visible=False), None)
    profile = adapt(ctx.model.score(sample.texts), sample, ctx.model.labels, ctx.model.thresholds, source=ctx.model.classifier.name)
    path = profile.save(download_file(f"{sample.name}_profile.json"))
    chosen = {"name": profile.name, "thresholds": profile.thresholds.array(ctx.model.labels).round(4).tolist()}
    return summary_html(profile), profile.report, gr.DownloadButton(value=str(path), visible=True), chosen


def summary_html(profile: Profile) -> str:
    s = profile.summary
    lines = [f"<p><b>{s['sample']['rows']}</b> comments, {len(profile.covered)} labels. Macro F1 over them, "
             f"cross-validated on your sample: <b>{s['macro_f1_before']:.3f}</b> with the current thresholds "
             f"(95% interval {s['macro_f1_before_95'][0]:.3f}–{s['macro_f1_before_95'][1]:.3f}) → "
             f"<b>{s['macro_f1_after_cv']:.3f}</b> re-tuned ({s['macro_f1_after_95'][0]:.3f}–"
             f"{s['macro_f1_after_95'][1]:.3f}); gain {s['gain_95'][0]:+.3f} to {s['gain_95'][1]:+.3f}.</p>"]
    lines += [f"<p class='note'>{html.escape(w)}</p>" for w in s["warnings"]]
    return "".join(lines)


def build(page: Page, tab: gr.Tab) -> None:
    gr.Markdown(INTRO)
    with gr.Row():
        upload = gr.File(label="Labelled comments (.csv / .jsonl / .parquet)",
                         file_types=[".csv", ".jsonl", ".parquet"], scale=2, elem_id="adapt-upload")
        covered = gr.Dropdown(page.ctx.model.labels, multiselect=True, scale=3,
                              label="Labels the sample covers (needed with a 'labels' column; "
                                    "0/1 columns say it themselves)")
    run = gr.Button("Re-tune thresholds", variant="primary")
    summary = gr.HTML()
    report = gr.Dataframe(pd.DataFrame(columns=REPORT_COLUMNS), interactive=False, elem_id="adapt-report",
                          label="Per covered label: positives in the sample, thresholds, F1 before and after "
                                "(after: cross-validated), each with its 95% bootstrap interval")
    proposed = gr.JSON(None, visible=False)
    with gr.Row():
        download = gr.DownloadButton("Download the profile (JSON)", visible=False)
        use = gr.Button("Predict with this profile", interactive=False)
        back = gr.Button("Back to the checkpoint's thresholds")
    run.click(lambda u, c: tune(page, u, c), [upload, covered], [summary, report, download, proposed],
              api_visibility="undocumented")
    proposed.change(None, [proposed], [use], js="(p) => ({__type__: 'update', interactive: !!p})")
    # The profile is this person's: it lives in their page (page.profile), not in the server.
    use.click(None, [proposed], [page.profile], js="(p) => p")
    back.click(None, None, [page.profile], js="() => null")
