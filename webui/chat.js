/* Two behaviours of the chat that Gradio has no setting for (loaded by app.py through
   launch(js=...)):
   1. The copy button of a message copies its plain text: for an answer, the hidden
      .ra-copy element written by webui/render.py (the answer and its 出典 lines); for a
      question, its text. Gradio copies the message source, which for our messages is
      markup. Gradio writes the clipboard in its own click handler; this listener runs after
      it (bubbling, on window) and writes the plain text over it.
   2. A citation marker [n] in an answer opens its numbered source card and scrolls to it.
   3. Labels Gradio writes in English only, whatever its translations say (e.g. the chosen
      👍 / 👎 is "Liked" / "Disliked", the "Scroll down" button), are put in Japanese as they
      appear. A message's screen-reader label ("bot's message: <div…", the message's markup)
      becomes 「回答：」 or 「質問：」 and the text a reader sees.
   4. While a saved conversation is being put on screen (on page load, or picked in the
      list), a question sent is kept in the box with a notice and sent once it is there:
      sent earlier, it would be answered in the conversation being replaced, and vanish.
      ui.py counts the loads in window.__raLoading and fires "ra-conversation-shown". */
() => {
  const plainTextOf = (button) => {
    // Gradio puts a message's buttons after its row, as the row's next sibling.
    let row = button.closest(".message-buttons");
    while (row && !row.classList.contains("message-row")) row = row.previousElementSibling;
    if (!row) return null;
    const copy = row.querySelector(".ra-copy");
    if (copy) return copy.textContent;
    const question = row.querySelector(".ra-question");
    return question ? question.innerText : null;
  };

  window.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("#chatbot .message-buttons button");
    if (!button || !(button.getAttribute("aria-label") || "").includes("コピー")) return;
    const text = plainTextOf(button);
    if (text !== null && navigator.clipboard) navigator.clipboard.writeText(text);
  });

  const openSource = (marker) => {
    const message = marker.closest(".ra-msg");
    if (!message) return;
    const card = Array.from(message.querySelectorAll("details.ra-source")).find(
      (details) => details.querySelector(".ra-num")?.textContent.trim() === marker.textContent.trim());
    if (!card) return;
    card.open = true;
    card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    card.classList.add("ra-flash");
    setTimeout(() => card.classList.remove("ra-flash"), 1200);
  };
  document.addEventListener("click", (event) => {
    const marker = event.target.closest && event.target.closest(".ra-marker");
    if (marker) openSource(marker);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const marker = event.target.closest && event.target.closest(".ra-marker");
    if (marker) { event.preventDefault(); openSource(marker); }
  });

  const LABELS = {
    Liked: "役に立った（選択中）",
    Disliked: "役に立たなかった（選択中）",
    "Scroll down": "最新の回答へ移動",
    "chatbot conversation": "会話",
    "More tabs": "ほかのタブ",
    "Gradio footer navigation": "ページ下部のリンク",
    "Remove this file": "一覧から外す",
    undo: "元に戻す",
  };
  const MESSAGE_LABEL = /^(user|bot|assistant)'s message: /;
  const MESSAGE_LABEL_CHARS = 300;
  // The label holds the message's markup, set before the message itself is drawn: its text
  // is read from an inert parse (nothing in it loads or runs).
  const messageLabel = (markup, who) => {
    const parsed = new DOMParser().parseFromString(markup, "text/html");
    const shown = parsed.querySelector(".ra-answer") || parsed.body;
    const text = (shown.textContent || "").replace(/\s+/g, " ").trim();
    const cut = text.length > MESSAGE_LABEL_CHARS ? text.slice(0, MESSAGE_LABEL_CHARS) + "…" : text;
    return (who === "user" ? "質問：" : "回答：") + cut;
  };
  const translate = (element) => {
    for (const name of ["aria-label", "title"]) {
      const label = element.getAttribute(name);
      if (!label) continue;
      if (Object.hasOwn(LABELS, label)) element.setAttribute(name, LABELS[label]);
      const message = label.match(MESSAGE_LABEL);
      if (message) {
        const markup = label.slice(message[0].length);
        element.setAttribute(name, messageLabel(markup, message[1]));
      }
    }
  };
  const translateAll = (root) => {
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    translate(root);
    root.querySelectorAll("[aria-label], [title]").forEach(translate);
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "attributes") translate(change.target);
      else change.addedNodes.forEach(translateAll);
    }
  }).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label", "title"],
  });
  translateAll(document.body);

  const PENDING = "保存した会話を読み込んでいます。読み込みが終わると、この質問を送信します。";
  let held = false;
  const pendingNote = (text) => {
    let note = document.querySelector("#question-pending");
    const box = document.querySelector("#question");
    if (!note && box) {
      note = document.createElement("div");
      note.id = "question-pending";
      note.className = "ra-status ra-status-warning";
      note.setAttribute("role", "status");
      box.after(note);
    }
    if (!note) return;
    note.textContent = text;
    note.hidden = !text;
  };
  const hold = (event) => {
    if (!(window.__raLoading > 0)) return;
    const box = document.querySelector("#question textarea");
    if (!box || !box.value.trim()) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    held = true;
    pendingNote(PENDING);
  };
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (event.target.closest && event.target.closest("#question textarea")) hold(event);
  }, true);
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("#question .submit-button")) hold(event);
  }, true);
  window.addEventListener("ra-conversation-shown", () => {
    if (!held || window.__raLoading > 0) return;
    held = false;
    pendingNote("");
    // after the chat has drawn the conversation it now holds
    setTimeout(() => document.querySelector("#question .submit-button")?.click(), 100);
  });
}
