/* Newsroom Review: text selection -> W3C selectors, highlight <-> note focus, notices.
 *
 * Offsets sent to the server are Python str indices (Unicode code points) into the
 * revision text. The DOM counts UTF-16 units, so each paragraph carries data-start (its
 * code-point offset) and the text inside it is measured with Array.from(), which walks
 * code points. The server checks the quote against its own text; it never trusts offsets.
 * No inline code anywhere: everything is wired here (strict CSP).
 */
(function () {
  "use strict";

  const CONTEXT = 32;

  // Smooth scrolling only for people who have not asked for less motion.
  function scrollBehavior() {
    return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  }
  let pending = null; // the selection waiting to be annotated
  let cache = { raw: null, cps: [] };

  function articleEl() {
    return document.getElementById("article-text");
  }

  /* The revision text, exactly as stored, split into code points (cached per text). */
  function sourceCodepoints() {
    const el = articleEl();
    if (!el) return [];
    const raw = el.dataset.source;
    if (cache.raw !== raw) {
      cache = { raw: raw, cps: Array.from(raw) };
    }
    return cache.cps;
  }

  function cpLength(s) {
    let n = 0;
    for (const _ of s) n += 1; // iterates code points, not UTF-16 units
    return n;
  }

  function paragraphs(article) {
    return Array.from(article.querySelectorAll("p[data-start]"));
  }

  function paragraphEnd(p) {
    return Number(p.dataset.start) + cpLength(p.textContent);
  }

  /* Code-point offset in the revision text of a DOM boundary point. */
  function boundaryOffset(article, node, offset, isEnd) {
    const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    const p = el && el.closest("p[data-start]");
    if (p && article.contains(p)) {
      const r = document.createRange();
      r.setStart(p, 0);
      r.setEnd(node, offset);
      return Number(p.dataset.start) + cpLength(r.toString());
    }
    // Between paragraphs, or outside the article: snap to the nearest paragraph edge.
    const paras = paragraphs(article);
    if (!paras.length) return null;
    if (!article.contains(node)) {
      const before = article.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING;
      if (before) return Number(paras[0].dataset.start);
      return paragraphEnd(paras[paras.length - 1]);
    }
    for (let i = 0; i < paras.length; i += 1) {
      const r = document.createRange();
      r.selectNodeContents(paras[i]);
      if (r.comparePoint(node, offset) <= 0) {
        if (isEnd) return i > 0 ? paragraphEnd(paras[i - 1]) : Number(paras[0].dataset.start);
        return Number(paras[i].dataset.start);
      }
    }
    return paragraphEnd(paras[paras.length - 1]);
  }

  function isSpace(ch) {
    return /\s/u.test(ch);
  }

  function readSelection() {
    const article = articleEl();
    const sel = window.getSelection();
    if (!article || !sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!range.intersectsNode(article)) return null;
    let start = boundaryOffset(article, range.startContainer, range.startOffset, false);
    let end = boundaryOffset(article, range.endContainer, range.endOffset, true);
    if (start === null || end === null) return null;
    const cps = sourceCodepoints();
    while (start < end && isSpace(cps[start])) start += 1;
    while (end > start && isSpace(cps[end - 1])) end -= 1;
    if (end <= start) return null;
    return {
      revision: article.dataset.revision,
      start: start,
      end: end,
      exact: cps.slice(start, end).join(""),
      prefix: cps.slice(Math.max(0, start - CONTEXT), start).join(""),
      suffix: cps.slice(end, end + CONTEXT).join(""),
      rect: range.getBoundingClientRect(),
    };
  }

  /* ---- the floating selection tools (Annotate, Flag) ------------------------------ */

  function selectionTools() {
    return document.getElementById("selection-tools");
  }

  function hideAnnotate() {
    const tools = selectionTools();
    if (tools) tools.hidden = true;
    pending = null;
  }

  function showAnnotate(selection) {
    const tools = selectionTools();
    if (!tools) return;
    pending = selection;
    tools.hidden = false;
    const rect = selection.rect;
    const width = tools.offsetWidth || 160;
    const left = Math.min(
      Math.max(8, rect.left + window.scrollX),
      window.scrollX + document.documentElement.clientWidth - width - 8
    );
    tools.style.left = left + "px";
    tools.style.top = rect.bottom + window.scrollY + 8 + "px";
  }

  let selectionTimer = null;
  function onSelectionChange() {
    drawCaret();
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(function () {
      const dialog = document.getElementById("annotate-dialog");
      if (dialog && dialog.open) return;
      const selection = readSelection();
      if (selection) showAnnotate(selection);
      else hideAnnotate();
    }, 80);
  }

  /* Copy the current selection into a form's hidden selector fields; false if none. */
  function fillSelection(form) {
    const selection = pending || readSelection();
    if (!selection) return false;
    for (const name of ["revision", "start", "end", "exact", "prefix", "suffix"]) {
      const input = form.querySelector('[name="' + name + '"]');
      if (input) input.value = selection[name];
    }
    return true;
  }

  function openSelectionDialog(id) {
    const dialog = document.getElementById(id);
    const selection = pending || readSelection();
    if (!dialog || !selection) return;
    pending = selection;
    const form = dialog.querySelector("form");
    fillSelection(form);
    const key = form.querySelector('[name="client_key"]');
    if (key) key.value = oneTimeKey(); // a retry of this note reuses it; the next note does not
    const quote = dialog.querySelector(".dialog-quote");
    quote.textContent = selection.exact.length > 300 ? selection.exact.slice(0, 300) + "…" : selection.exact;
    clearDialogError(dialog);
    dialog.showModal();
    const first = form.querySelector("textarea");
    if (first) first.focus();
  }

  function oneTimeKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function openAnnotateDialog() {
    openSelectionDialog("annotate-dialog");
  }

  function clearDialogError(dialog) {
    const old = dialog.querySelector(".dialog-error");
    if (old) old.remove();
  }

  function showDialogError(dialog, message) {
    clearDialogError(dialog);
    const p = document.createElement("p");
    p.className = "dialog-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    const actions = dialog.querySelector(".dialog-actions");
    actions.parentNode.insertBefore(p, actions);
  }

  /* ---- highlights and notes ----------------------------------------------------- */

  function setActiveFlag(id, options) {
    const opts = options || {};
    document.querySelectorAll(".is-active").forEach(function (el) {
      el.classList.remove("is-active");
    });
    const marks = document.querySelectorAll('mark[data-flag~="' + CSS.escape(String(id)) + '"]');
    marks.forEach(function (m) {
      m.classList.add("is-active");
    });
    const card = document.getElementById("flag-" + id);
    if (card) {
      card.classList.add("is-active");
      const group = card.closest("details");
      if (group) group.open = true;
    }
    if (opts.focusCard && card) {
      card.scrollIntoView({ block: "nearest", behavior: scrollBehavior() });
      card.focus({ preventScroll: true });
    }
    if (opts.showPassage && marks.length) {
      marks[0].scrollIntoView({ block: "center", behavior: scrollBehavior() });
    }
  }

  /* n / p: the next or previous open flag in reading order (quoted speech last). */
  function stepFlag(direction) {
    const cards = Array.from(document.querySelectorAll(".flags .flag-card[data-flag-id]"));
    const ordered = cards
      .map(function (c) {
        const mark = document.querySelector('mark[data-flag~="' + c.dataset.flagId + '"]');
        return { card: c, mark: mark };
      })
      .filter(function (x) {
        return x.mark;
      })
      .sort(function (a, b) {
        return a.mark.compareDocumentPosition(b.mark) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
      });
    if (!ordered.length) return;
    const current = document.querySelector(".flag-card.is-active");
    let i = ordered.findIndex(function (x) {
      return x.card === current;
    });
    i = i < 0 ? (direction > 0 ? 0 : ordered.length - 1) : (i + direction + ordered.length) % ordered.length;
    setActiveFlag(ordered[i].card.dataset.flagId, { focusCard: true, showPassage: true });
  }

  function setActive(id, options) {
    const opts = options || {};
    document.querySelectorAll(".is-active").forEach(function (el) {
      el.classList.remove("is-active");
    });
    if (!id) return;
    const marks = document.querySelectorAll('mark[data-ann~="' + CSS.escape(String(id)) + '"]');
    marks.forEach(function (m) {
      m.classList.add("is-active");
    });
    const card = document.getElementById("ann-" + id);
    if (card) card.classList.add("is-active");
    if (opts.focusCard && card) {
      const group = card.closest("details");
      if (group) group.open = true; // a note just resolved now sits under "Resolved"
      card.scrollIntoView({ block: "nearest", behavior: scrollBehavior() });
      card.focus({ preventScroll: true });
    }
    if (opts.showPassage && marks.length) {
      marks[0].scrollIntoView({ block: "center", behavior: scrollBehavior() });
    }
  }

  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu === except) return;
      const hadFocus = menu.contains(document.activeElement);
      menu.open = false;
      // Focus inside a closing menu would fall back to the page: keep it on the menu's button.
      if (hadFocus) menu.querySelector("summary").focus();
    });
  }

  function onClick(event) {
    const target = event.target;
    const dismiss = target.closest(".notice-close");
    if (dismiss) {
      dismiss.closest(".notice").remove();
      return;
    }
    const menuLink = target.closest("details.menu a");
    if (menuLink) {
      menuLink.closest("details").open = false; // the download or page still goes ahead
    } else {
      closeMenus(target.closest("details.menu"));
    }
    const closer = target.closest("[data-close-dialog]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    if (target.closest("#annotate-btn")) {
      openAnnotateDialog();
      return;
    }
    if (target.closest("#flag-btn")) {
      openSelectionDialog("flag-dialog");
      return;
    }
    const showFlag = target.closest(".show-flag");
    if (showFlag) {
      setActiveFlag(showFlag.dataset.flagId, { showPassage: true });
      return;
    }
    const reattach = target.closest(".reattach-form button[type=submit]");
    if (reattach && !fillSelection(reattach.form)) {
      event.preventDefault();
      notify("Select the words in the story first, then press “" + reattach.textContent.trim() + "”.", "error");
      return;
    }
    const show = target.closest(".show-passage");
    if (show) {
      setActive(show.dataset.annId, { showPassage: true });
      return;
    }
    const mark = target.closest("mark[data-ann], mark[data-flag]");
    if (mark) {
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed) return; // the click ended a selection drag
      if (mark.dataset.ann) setActive(mark.dataset.ann.split(" ")[0], { focusCard: true });
      else if (mark.dataset.flag) setActiveFlag(mark.dataset.flag.split(" ")[0], { focusCard: true });
      return;
    }
    const flagCard = target.closest(".flag-card[data-flag-id]");
    if (flagCard && !target.closest("button, a, textarea, input, select, form, summary")) {
      setActiveFlag(flagCard.dataset.flagId, { showPassage: true });
      return;
    }
    const card = target.closest(".card[data-ann-id]");
    if (card && !target.closest("button, a, textarea, input, select, form, summary")) {
      setActive(card.dataset.annId, { showPassage: true });
    }
  }

  /* ---- keyboard selection inside the story text --------------------------------- */
  // Browsers give static text no caret, so the focused story text gets one: arrow keys
  // move it, Shift+arrows select, Ctrl/Alt+arrows go by word, Home/End by line.
  const MOVES = {
    ArrowRight: ["forward", "character"],
    ArrowLeft: ["backward", "character"],
    ArrowDown: ["forward", "line"],
    ArrowUp: ["backward", "line"],
    Home: ["backward", "lineboundary"],
    End: ["forward", "lineboundary"],
  };

  function selectionInside(article) {
    const sel = window.getSelection();
    return sel && sel.rangeCount > 0 && article.contains(sel.anchorNode) && article.contains(sel.focusNode);
  }

  function placeCaretAtStart(article) {
    const first = article.querySelector("p[data-start]");
    if (!first) return;
    const range = document.createRange();
    range.setStart(first, 0);
    range.collapse(true);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function drawCaret() {
    const article = articleEl();
    let caret = document.getElementById("kbd-caret");
    const sel = window.getSelection();
    const show = article && document.activeElement === article && selectionInside(article) && sel.isCollapsed;
    if (!show) {
      if (caret) caret.hidden = true;
      return;
    }
    const range = sel.getRangeAt(0).cloneRange();
    let rect = range.getClientRects()[0];
    if (!rect && range.startContainer.nodeType === Node.TEXT_NODE && range.startOffset < range.startContainer.length) {
      range.setEnd(range.startContainer, range.startOffset + 1);
      rect = range.getClientRects()[0];
    }
    if (!rect && range.startContainer.nodeType === Node.ELEMENT_NODE) {
      // Between elements (focus just arrived by Tab): the caret goes before the next letter,
      // one line high, not over the whole paragraph.
      const el = range.startContainer;
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const from = el.childNodes[range.startOffset];
      let node = walker.nextNode();
      while (node && ((from && !(from === node || from.contains(node) ||
          (from.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING))) || !node.length)) {
        node = walker.nextNode();
      }
      if (node) {
        const letter = document.createRange();
        letter.setStart(node, 0);
        letter.setEnd(node, 1);
        rect = letter.getClientRects()[0];
      }
      if (!rect) {
        const box = el.getBoundingClientRect();
        const line = parseFloat(getComputedStyle(el).lineHeight) || 24;
        rect = { left: box.left, top: box.top, height: Math.min(box.height, line) };
      }
    }
    if (!rect) return;
    if (!caret) {
      caret = document.createElement("span");
      caret.id = "kbd-caret";
      caret.className = "kbd-caret";
      caret.setAttribute("aria-hidden", "true");
      document.body.appendChild(caret);
    }
    caret.hidden = false;
    caret.style.left = rect.left + window.scrollX + "px";
    caret.style.top = rect.top + window.scrollY + "px";
    caret.style.height = rect.height + "px";
  }

  function onArticleKeydown(event) {
    const article = articleEl();
    const move = MOVES[event.key];
    if (!article || event.target !== article || !move || event.metaKey) return;
    const sel = window.getSelection();
    if (!selectionInside(article)) placeCaretAtStart(article);
    let granularity = move[1];
    if ((event.ctrlKey || event.altKey) && granularity === "character") granularity = "word";
    sel.modify(event.shiftKey ? "extend" : "move", move[0], granularity);
    event.preventDefault();
    drawCaret();
  }

  function onFocusIn(event) {
    const article = articleEl();
    if (article && event.target === article && !selectionInside(article)) placeCaretAtStart(article);
    drawCaret();
  }

  function typingIn(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function onKeydown(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && event.target.closest && event.target.closest("details.menu[open]")) {
      // Escape closes a menu even from a field inside it (Import notes' file chooser).
      closeMenus(null);
      return;
    }
    if (typingIn(event.target)) return;
    const key = event.key.toLowerCase();
    if (key === "a" && selectionTools() && (pending || readSelection())) {
      event.preventDefault();
      openAnnotateDialog();
    } else if (key === "f" && document.getElementById("flag-dialog") && (pending || readSelection())) {
      event.preventDefault();
      openSelectionDialog("flag-dialog");
    } else if ((key === "n" || key === "p") && !event.shiftKey) {
      if (document.querySelector(".flag-card")) {
        event.preventDefault();
        stepFlag(key === "n" ? 1 : -1);
      }
    } else if (event.key === "Escape") {
      closeMenus(null);
      hideAnnotate();
      setActive(null);
    }
  }

  /* ---- notices ------------------------------------------------------------------ */

  function notify(message, kind) {
    const box = document.getElementById("notices");
    if (!box) return;
    const p = document.createElement("p");
    p.className = "notice notice-" + (kind || "info");
    const text = document.createElement("span");
    text.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "notice-close";
    close.setAttribute("aria-label", "Dismiss this message");
    close.textContent = "×";
    p.append(text, " ", close);
    box.appendChild(p);
    setTimeout(function () {
      p.remove();
    }, 9000);
  }

  function messageFrom(xhr) {
    const type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/plain") === 0 && xhr.responseText) return xhr.responseText;
    if (type.indexOf("text/html") === 0 && xhr.responseText) {
      const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const p = doc.querySelector(".refused p, [role=alert]");
      if (p && p.textContent.trim()) return p.textContent.trim();
    }
    if (xhr.status === 403) return "You are not allowed to do that.";
    if (xhr.status === 404) return "That story or note no longer exists.";
    return "That did not work (error " + xhr.status + "). Nothing was changed.";
  }

  function onResponseError(event) {
    const xhr = event.detail.xhr;
    const message = messageFrom(xhr);
    const dialog = event.detail.elt && event.detail.elt.closest("dialog");
    if (dialog && dialog.open) showDialogError(dialog, message);
    else notify(message, "error");
  }

  /* A refusal (a 422 without a fragment to show: "write a reply first") is a message, not
     content: it must never replace the story and its notes. Form errors that belong in a
     form come with HX-Retarget and are swapped there. */
  function onBeforeSwap(event) {
    const xhr = event.detail.xhr;
    if (xhr.status === 422 && !xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = false;
      event.detail.isError = true;
    }
  }

  function onSendError() {
    notify("The server could not be reached. Nothing was saved; try again.", "error");
  }

  function onAfterRequest(event) {
    const elt = event.detail.elt;
    const inDialog = elt && elt.closest && elt.closest("dialog") && elt.tagName === "FORM";
    if (inDialog && event.detail.successful && event.detail.xhr.status < 300) {
      const dialog = elt.closest("dialog");
      if (dialog) dialog.close();
      elt.reset();
      const sel = window.getSelection();
      if (sel) sel.removeAllRanges();
      hideAnnotate();
    }
  }

  /* Swapping the workspace replaces the element that had the keyboard focus. Remember the
     card it was in, and after the swap put the focus back on that card (wherever it now
     sits: a dismissed flag under "Dismissed") instead of leaving it on the page itself. */
  let focusedCardId = null;

  function onBeforeRequest() {
    const active = document.activeElement;
    const card = active && active.closest && active.closest(".card[id]");
    focusedCardId = card ? card.id : null;
  }

  function onAfterSettle(event) {
    const xhr = event.detail.xhr;
    const id = xhr && xhr.getResponseHeader("X-Annotation-Focus");
    if (id) setActive(id, { focusCard: true });
    const lost = !document.activeElement || document.activeElement === document.body;
    const card = lost && focusedCardId && document.getElementById(focusedCardId);
    if (card) {
      const group = card.closest("details");
      if (group) group.open = true;
      card.focus({ preventScroll: true });
    } else if (lost && event.detail.target && event.detail.target.id === "article-main") {
      // A review step replaced the story's header and its buttons: the focus goes to what
      // the step said ("Story is now in review."), or the status, not back to the page top.
      const spot = document.querySelector("#article-main .inline-notice") || document.getElementById("status-badge");
      if (spot) {
        if (!spot.hasAttribute("tabindex")) spot.setAttribute("tabindex", "-1");
        spot.focus({ preventScroll: true });
      }
    }
  }

  /* The bulk export's "all that match the filter" follows the live filter form. */
  function syncBulkFilters(event) {
    const field = event.target;
    const filters = field.form;
    const bulk = document.getElementById("bulk-export");
    if (!bulk || !filters || !filters.classList.contains("filters") || !field.name) return;
    const hidden = bulk.querySelector('input[type=hidden][name="' + field.name + '"]');
    if (hidden) hidden.value = field.value;
  }

  document.addEventListener("input", syncBulkFilters);
  document.addEventListener("change", syncBulkFilters);
  document.addEventListener("selectionchange", onSelectionChange);
  document.addEventListener("click", onClick);
  document.addEventListener("keydown", onArticleKeydown);
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("focusin", onFocusIn);
  document.addEventListener("focusout", drawCaret);
  // Keep the text selection alive while the Annotate control is pressed.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest("#selection-tools, .keep-selection")) event.preventDefault();
  });
  document.addEventListener("htmx:beforeRequest", onBeforeRequest);
  document.addEventListener("htmx:beforeSwap", onBeforeSwap);
  document.addEventListener("htmx:responseError", onResponseError);
  document.addEventListener("htmx:sendError", onSendError);
  document.addEventListener("htmx:afterRequest", onAfterRequest);
  document.addEventListener("htmx:afterSettle", onAfterSettle);
  document.addEventListener("DOMContentLoaded", function () {
    const hash = window.location.hash.match(/^#ann-(\d+)$/);
    if (hash) setActive(hash[1], { focusCard: true, showPassage: true });
  });
})();
