"""The Adapt view's Label step: label a sample of your own comments with the keyboard, kept on the server.

A person uploads unlabelled comments and names the labels (ours or new ones); the app proposes a
sample that covers the file (``sampling``), then shows one comment at a time: a key per label toggles
it, Enter saves and moves on, Backspace goes back. Every answer is saved as it is given
(``labelling.Session``), so a reload or a server restart loses nothing; the session can be downloaded
as CSV at any time, and a downloaded file uploaded again continues it. The visitor's sessions are
found by a key kept in their browser, encrypted with the store's lasting secret so that a restart finds
them again; a key the page holds but cannot read (the secret was changed) is said, not silently replaced.
"""

from __future__ import annotations

import html
import json
import logging
import secrets
from pathlib import Path

import gradio as gr

from ..profiles.fit import MIN_ROWS, AdaptError, label_cells, read_weights
from ..profiles.labelling import KEY, MAX_ITEMS, LabellingError, Session
from ..profiles.sampling import WEIGHT, SamplingError, read_unlabelled, to_label
from ..profiles.profile import check_new_label
from .downloads import download_file
from .notes import NOTE, notice
from .page import Page
from .door import door, event, names_json, text, whole
from .inputs import InputError, check_upload_size

log = logging.getLogger(__name__)
KEYS = "1234567890qwertyuiopasdfghjklzxcvbnm"  # one key per label, in the order the labels were named
GOOD_SIZE = 50  # answers after which a first profile is worth fitting
STORAGE_KEY = "emotion-labelling-key"  # where the browser keeps the key (localStorage)
UNREADABLE = "?unreadable"  # what the page sends when it holds a key it cannot decrypt (never a valid key)
# Gradio hands a key it cannot decrypt to the handlers as the default (""), as if there were none.
READ_KEY_JS = f"(k) => (k || !localStorage.getItem({json.dumps(STORAGE_KEY)})) ? k : {json.dumps(UNREADABLE)}"
LOST = ("This browser holds a labelling key that this server cannot read (the server's labelling secret or folder "
        "changed), so your earlier sessions cannot be listed. A CSV you downloaded continues its session when uploaded "
        "again; a new session gets a new key.")


def stored(page: Page) -> str:
    """Where the answers are, and for how long (the store's limits)."""
    return ("Your answers are saved on this server as you give them, under a key kept in this browser; they stay there "
            f"until you delete the session, or {page.ctx.labelling.limits.idle_days:g} days after you last open or "
            "answer it. Download them as CSV at any time.")


# Keys toggle labels, Enter saves and moves on, Backspace goes back; a click or tap does the same.
LABELLER_JS = """
const state = () => { const box = element.querySelector('[data-item]'); return box ? JSON.parse(box.dataset.item) : null; };
const choices = () => [...element.querySelectorAll('button.choice')];
const toggle = (i) => { const b = choices()[i]; if (b) b.setAttribute('aria-pressed', b.getAttribute('aria-pressed') === 'true' ? 'false' : 'true'); };
const chosen = () => choices().filter((b) => b.getAttribute('aria-pressed') === 'true').map((b) => b.dataset.label);
const go = (where) => {
  const s = state();
  if (!s || element.dataset.busy === s.session + s.index) return;  // one answer per comment shown
  element.dataset.busy = s.session + s.index;
  if (where === 'next') trigger('answer', {session: s.session, index: s.index, labels: JSON.stringify(chosen())});
  else trigger('back', {session: s.session, index: s.index});
};
element.addEventListener('click', (e) => {
  const b = e.target.closest('button.choice');
  if (b) toggle(choices().indexOf(b));
  const nav = e.target.closest('button[data-nav]');
  if (nav) go(nav.dataset.nav);
});
document.addEventListener('keydown', (e) => {
  if (!element.offsetParent || e.ctrlKey || e.metaKey || e.altKey) return;  // hidden (another tab) or a shortcut
  if (e.target.closest && e.target.closest('input, textarea, select, [contenteditable=true]')) return;
  const s = state();
  if (!s) return;
  if (e.key === 'Enter') { e.preventDefault(); go('next'); }
  else if (e.key === 'Backspace') { e.preventDefault(); go('back'); }
  else if (s.keys.includes(e.key.toLowerCase())) { e.preventDefault(); toggle(s.keys.indexOf(e.key.toLowerCase())); }
});
"""


def ensure_key(key: str | None) -> str:
    """The visitor's key, made on their first labelling request."""
    return key if isinstance(key, str) and KEY.fullmatch(key) else secrets.token_urlsafe(24)


def parse_labels(text: str | None, model_labels: list[str]) -> list[str]:
    names = list(dict.fromkeys(n.strip() for n in (text or "").replace("\n", ",").split(",") if n.strip()))
    if not names:
        raise InputError("Name the labels to label with, separated by commas: ours (e.g. joy) or your own.")
    if len(names) > len(KEYS):
        raise InputError(f"At most {len(KEYS)} labels, one key each.")
    for name in names:
        if why := check_new_label(name, model_labels):
            raise InputError(why)
    return names


def item_html(session: Session, index: int | None = None) -> str:
    """One comment to label, its label keys, and how far the session is."""
    item = session.item(session.first_open() if index is None else index)
    answered, total = session.progress()
    chosen = set(item.chosen or [])
    state = {"session": session.id, "index": item.index, "keys": list(KEYS[: len(session.labels)]),
             "labels": session.labels}
    buttons = "".join(
        f'<button type="button" class="choice" data-label="{html.escape(name)}" aria-pressed="{str(name in chosen).lower()}">'
        f"<kbd>{KEYS[i]}</kbd> {html.escape(name)}</button>" for i, name in enumerate(session.labels))
    status = "answered" if item.chosen is not None else "not answered yet"
    return (f'<div class="labeller" data-item="{html.escape(json.dumps(state))}">'
            f'<p class="progress"><b>{answered}</b> of {total} labelled · comment {item.index + 1} ({status}) · '
            f'session <b>{html.escape(session.name)}</b></p>'
            f'<progress max="{total}" value="{answered}" aria-label="labelled so far"></progress>'
            f'<blockquote class="comment">{html.escape(item.text)}</blockquote>'
            f'<div class="choices" role="group" aria-label="Labels to mark">{buttons}</div>'
            f'<p><button type="button" data-nav="back" class="nav">← Back (Backspace)</button> '
            f'<button type="button" data-nav="next" class="nav primary">Save, next (Enter)</button></p>'
            f'<p class="muted">Press a label\'s key (or tap it) to mark it; none marked means none of them. '
            f'Enter saves and shows the next comment. Fit a profile from {MIN_ROWS} answers on; about '
            f'{GOOD_SIZE} make a first useful one.</p></div>')


def session_choices(page: Page, key: str) -> list[tuple[str, str]]:
    out = []
    for session in page.ctx.labelling.sessions(key):
        answered, total = session.progress()
        out.append((f"{session.name}: {answered} of {total} labelled ({', '.join(session.labels)})", session.id))
    return out


def failed(err: Exception, key: str):
    log.info("labelling refused: %s", err)
    return key, gr.skip(), gr.skip(), notice(err)


@door(key=text(200), names=text(2_000, label="The labels"), size=whole(1, MAX_ITEMS, 100, label="How many to label"))
def start(page: Page, key: str, upload: str | None, names: str, size: float):
    """A new session: a proposed sample of an unlabelled file, or a labelled file (a download) to continue."""
    key = ensure_key(key)
    ctx = page.ctx
    try:
        if not upload:
            raise InputError("Upload a file of your comments first (.csv, .jsonl, .parquet or .txt).")
        check_upload_size(Path(upload), page.limits)
        frame = read_unlabelled(upload, page.limits.max_rows)
        labels = parse_labels(names, ctx.model.labels)
        name = Path(upload).stem[:60]
        if all(label in frame.columns for label in labels):  # a labelled file (a download): continue it
            answers = labelled_rows(frame, labels)
            weights = read_weights(frame, Path(upload).name)  # as adapt.py reads the same file
            if weights is not None:
                frame = frame.assign(**{WEIGHT: weights})
            session = ctx.labelling.create(key, name, frame, labels, answers)
            note = f"Continuing {name}: {len(answers)} of {len(frame)} comments already labelled."
        else:
            n = int(size or 100)
            if not 1 <= n <= MAX_ITEMS:
                raise InputError(f"Choose between 1 and {MAX_ITEMS:,} comments to label.")
            chosen = to_label(frame[["text"]], ctx.model.score(frame["text"].astype(str).tolist()), n, [],
                              seed=secrets.randbelow(2**31))
            session = ctx.labelling.create(key, name, chosen, labels)
            note = (f"Proposed {len(chosen)} of {len(frame):,} comments, spread over what the model reads in them "
                    "(their weights keep the estimates unbiased).")
    except (InputError, SamplingError, LabellingError, AdaptError) as err:
        return failed(err, key)
    return (key, gr.Dropdown(choices=session_choices(page, key), value=session.id), item_html(session),
            notice(f"{note} {stored(page)}", NOTE))


def labelled_rows(frame, labels: list[str]) -> dict[int, list[str]]:
    """The answers in a labelled file: rows whose label cells are all 0 or 1 (an empty cell: not answered)."""
    cells = label_cells(frame, labels)
    bad = [c for c in labels if not cells[c].isin(["0", "1", ""]).all()]
    if bad:
        raise InputError(f"Label columns must hold 0, 1 or nothing; these hold other values: {', '.join(bad)}.")
    done = cells.isin(["0", "1"]).all(axis=1)
    return {int(i): [n for n in labels if cells[n][i] == "1"] for i in frame.index[done]}


def resume(page: Page, key: str, session_id: str | None):
    if not session_id:  # none (left): what the note says (deleted, a key not readable) stays
        return gr.skip(), gr.skip(), gr.DownloadButton(visible=False)
    try:
        session = page.ctx.labelling.open(ensure_key(key), session_id)
    except LabellingError as err:
        return gr.skip(), notice(err), gr.DownloadButton(visible=False)
    return item_html(session), "", gr.DownloadButton(visible=True)


def refresh_sessions(page: Page, key: str):
    """On opening the view: this browser's sessions (a key is made if it has none). A key the page holds but
    cannot read is said and kept (the operator may restore the secret) until a new session replaces it."""
    if key == UNREADABLE:
        log.info("labelling: a page holds a key this server cannot read")
        return gr.skip(), gr.Dropdown(choices=[], value=None), notice(LOST)
    key = ensure_key(key)
    choices = session_choices(page, key)
    return key, gr.Dropdown(choices=choices, value=choices[0][1] if choices else None), gr.skip()


# What the labeller sends (LABELLER_JS), checked at the door: a session id, a comment's index, the labels chosen.
ANSWER = event(session=text(64, label="The session"), index=whole(0, MAX_ITEMS - 1, label="The comment's index"),
               labels=names_json(len(KEYS), label="The answer"))
BACK = event(session=text(64, label="The session"), index=whole(0, MAX_ITEMS - 1, label="The comment's index"))


@door(key=text(200), evt=ANSWER)
def answer(page: Page, key: str, evt: gr.EventData):
    """Save the answer for the comment shown, then show the next one not answered (or the next in order)."""
    try:
        session = page.ctx.labelling.open(ensure_key(key), evt.session)
        index, labels = evt.index, evt.labels
        session.answer(index, labels)
    except (LabellingError, ValueError, TypeError) as err:
        return notice(err), gr.skip()
    answered = session.answers()
    later = next((i for i in range(index + 1, len(session.items)) if i not in answered), None)
    following = later if later is not None else min(index + 1, len(session.items) - 1)
    return item_html(session, following), gr.Dropdown(choices=session_choices(page, key), value=session.id)


@door(key=text(200), evt=BACK)
def back(page: Page, key: str, evt: gr.EventData):
    try:
        session = page.ctx.labelling.open(ensure_key(key), evt.session)
        return item_html(session, max(evt.index - 1, 0))
    except (LabellingError, ValueError, TypeError) as err:
        return notice(err)


def download(page: Page, key: str, session_id: str | None):
    try:
        session = page.ctx.labelling.open(ensure_key(key), session_id)
    except LabellingError as err:
        raise gr.Error(str(err), print_exception=False) from None
    return str(session.save_csv(download_file(f"{session.name}_labelled.csv")))


def delete(page: Page, key: str, session_id: str | None):
    try:
        page.ctx.labelling.delete(ensure_key(key), session_id)
    except LabellingError as err:
        return gr.skip(), "", notice(err)
    choices = session_choices(page, key)
    return (gr.Dropdown(choices=choices, value=choices[0][1] if choices else None), "",
            notice("Deleted: its answers are gone from this server.", NOTE))


def fit_session(page: Page, key: str, session_id: str | None):
    """The labelled part of the session as a sample for ``adapt_tab.show_profile``."""
    session = page.ctx.labelling.open(ensure_key(key), session_id)
    sample = session.sample(page.ctx.model.labels)
    if len(sample.texts) < MIN_ROWS:
        raise InputError(f"{len(sample.texts)} comments are labelled; fit from {MIN_ROWS} on (about {GOOD_SIZE} make a "
                         "first useful profile).")
    return sample


def build(page: Page):
    """The Label step's components and events; returns (key, sessions, note) for the fit button and the tab."""
    key = gr.BrowserState("", storage_key=STORAGE_KEY, secret=page.ctx.labelling.browser_secret())
    gr.Markdown("**1. Label your comments.** Upload comments from your platform (a `text` column, or .txt with one a "
                "line) and name the labels you want, ours or your own (e.g. `joy, frustration, trust`). The app "
                "proposes a sample that covers the file; label it with the keyboard. Or upload a labelled CSV you "
                "downloaded here to continue it. " + stored(page))
    with gr.Row():
        upload = gr.File(label="Your comments (.csv / .jsonl / .parquet / .txt)", scale=2, elem_id="label-upload",
                         file_types=[".csv", ".jsonl", ".parquet", ".txt", ".tsv"])
        with gr.Column(scale=3):
            names = gr.Textbox(label="Labels, comma-separated (ours or new)", placeholder="joy, frustration, trust",
                               elem_id="label-names")
            size = gr.Number(100, label="How many to label", minimum=1, maximum=MAX_ITEMS, precision=0)
            begin = gr.Button("Propose a sample to label", variant="primary", elem_id="label-start")
    with gr.Row():
        sessions = gr.Dropdown([], label="Your labelling sessions", scale=4, elem_id="label-sessions")
        get = gr.DownloadButton("Download answers (CSV)", visible=False, scale=1, elem_id="label-download")
        remove = gr.Button("Delete session", scale=1, variant="stop")
    note = gr.HTML(padding=False)
    labeller = gr.HTML(elem_id="labeller", js_on_load=LABELLER_JS, padding=False)
    begin.click(lambda k, u, n, s: start(page, k, u, n, s), [key, upload, names, size], [key, sessions, labeller, note],
                api_visibility="undocumented", concurrency_limit=1, concurrency_id="adapt")  # adapt_tab.ADAPT_QUEUE
    sessions.change(lambda k, s: resume(page, k, s), [key, sessions], [labeller, note, get], api_visibility="undocumented")

    def on_answer(k: str, evt: gr.EventData):
        return answer(page, k, evt)

    def on_back(k: str, evt: gr.EventData):
        return back(page, k, evt)

    labeller.answer(on_answer, [key], [labeller, sessions], api_visibility="undocumented", show_progress="hidden",
                    trigger_mode="multiple")  # never drop an answer
    labeller.back(on_back, [key], [labeller], api_visibility="undocumented", show_progress="hidden")
    get.click(lambda k, s: download(page, k, s), [key, sessions], [get], api_visibility="undocumented")
    remove.click(lambda k, s: delete(page, k, s), [key, sessions], [sessions, labeller, note],
                 api_visibility="undocumented")
    return key, sessions, note
