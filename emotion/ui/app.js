() => {
  // Gradio names each radio input on its own, so every option is a separate tab stop. One name per
  // group makes a radio group one tab stop, with the arrow keys moving inside it (the ARIA radio pattern).
  const ids = new WeakMap();
  const group = () => document.querySelectorAll("fieldset").forEach((set) => {
    if (!ids.has(set)) ids.set(set, `radio-group-${Math.random().toString(36).slice(2)}`);
    set.querySelectorAll("input[type=radio]").forEach((radio) => {
      if (radio.name !== ids.get(set)) radio.name = ids.get(set);
    });
  });
  new MutationObserver(group).observe(document.body, {childList: true, subtree: true});
  group();
  // The charts' library is 4.6 MB of JavaScript that Gradio fetches and runs when the first chart
  // shows (3 s on 2 cores). It loads once the person has paused for 1 s (running it mid-typing would
  // freeze the page for a second), or when the pointer reaches a tab, so the test-set tabs open at once.
  const plotly = __PLOTLY__;
  if (plotly) {
    // Fetching and compiling it can start at once, off the main thread; only running it waits.
    const hint = document.createElement("link");
    hint.rel = "modulepreload";
    hint.href = new URL(plotly, document.baseURI).href;
    document.head.appendChild(hint);
    let timer, done = false;
    const events = ["pointerdown", "keydown", "wheel", "touchstart"];
    const load = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      events.forEach((e) => removeEventListener(e, arm, true));
      import(new URL(plotly, document.baseURI).href).catch(() => {});
    };
    // Not before a first answer is on screen (or 5 s have passed): that one must not wait behind it.
    const ready = () => document.querySelector("table.bars") || performance.now() > 5000;
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => (ready() ? load() : arm()), 1000); };
    events.forEach((e) => addEventListener(e, arm, {capture: true, passive: true}));
    addEventListener("pointerover", (e) => { if (e.target.closest && e.target.closest("[role=tab]")) load(); },
                     {capture: true, passive: true});
    arm();
  }
}
