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
}
