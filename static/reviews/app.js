/* Newsroom Review: text selection -> W3C selectors, highlight <-> note focus, the side
 * panel (cards in reading order, beside their passages on wide screens, a filter, tabs on
 * narrow screens), keyboard shortcuts, the comment limit, notices.
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
  const WIDE = window.matchMedia("(min-width: 1100px)"); // cards beside their passages
  const NARROW = window.matchMedia("(max-width: 899px)"); // text and cards as two tabs
  const NEAR_LIMIT = 0.8; // the comment counter shows from 80% of the limit
  const STALE_NOTE =
    "The story changed: select the passage again and press Save — your comment is kept.";

  // Smooth scrolling only for people who have not asked for less motion.
  function scrollBehavior() {
    return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  }
  let pending = null; // the selection waiting to be annotated (kept through Esc / Cancel)
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


  /* A DOM point for a code-point offset in the revision text (the inverse of
     boundaryOffset). A start prefers the beginning of the next text node. */
  function pointAt(article, offset, isEnd) {
    for (const p of paragraphs(article)) {
      const start = Number(p.dataset.start);
      if (offset < start || offset > paragraphEnd(p)) continue;
      let left = offset - start;
      let last = null;
      const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
      let node;
      while ((node = walker.nextNode())) {
        const cps = Array.from(node.data);
        if (left < cps.length || (left === cps.length && isEnd)) {
          return [node, cps.slice(0, left).join("").length];
        }
        left -= cps.length;
        last = node;
      }
      if (last) return [last, last.data.length];
    }
    return null;
  }

  function rangeFromOffsets(start, end) {
    const article = articleEl();
    if (!article) return null;
    const a = pointAt(article, start, false);
    const b = pointAt(article, end, true);
    if (!a || !b) return null;
    const range = document.createRange();
    range.setStart(a[0], a[1]);
    range.setEnd(b[0], b[1]);
    return range;
  }

  /* Is a remembered selection still the same words of the text on screen? */
  function stillValid(selection) {
    const article = articleEl();
    if (!selection || !article || String(selection.revision) !== article.dataset.revision) return false;
    return sourceCodepoints().slice(selection.start, selection.end).join("") === selection.exact;
  }

  /* The selection to annotate: the one remembered (while still valid), else the page's. */
  function currentSelection() {
    if (pending && stillValid(pending)) return pending;
    return readSelection();
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
      if (document.querySelector("dialog[open]")) return; // the dialog's fields hold the focus
      const selection = readSelection();
      if (selection) showAnnotate(selection);
      else hideAnnotate();
    }, 80);
  }

  /* Copy the current selection into a form's hidden selector fields; false if none. */
  function fillSelection(form) {
    const selection = currentSelection();
    if (!selection) return false;
    for (const name of ["revision", "start", "end", "exact", "prefix", "suffix"]) {
      const input = form.querySelector('[name="' + name + '"]');
      if (input) input.value = selection[name];
    }
    return true;
  }

  function openSelectionDialog(id) {
    const dialog = document.getElementById(id);
    const selection = currentSelection();
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

  /* Esc or Cancel in the annotate (or flag) dialog: the passage stays selected, so `A`
     opens the dialog again on the same words with the comment as it was typed. (After a
     save, onAfterRequest has already let the selection go.) */
  function onDialogClose(event) {
    const dialog = event.target;
    if (!dialog || (dialog.id !== "annotate-dialog" && dialog.id !== "flag-dialog")) return;
    if (!pending || !stillValid(pending)) {
      pending = null;
      return;
    }
    const range = rangeFromOffsets(pending.start, pending.end);
    if (!range) return;
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    showAnnotate(Object.assign({}, pending, { rect: range.getBoundingClientRect() }));
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

  /* ---- the side panel: cards in reading order ------------------------------------ */
  // Open notes and flags come in one list (#card-stream) in the order of their passages.
  // Wide screens place each card beside its passage (never overlapping: a card is pushed
  // below the one before it; the active card sits level with its words and the others
  // make room). Narrower screens show the plain list; narrow ones a tab bar.

  let filter = "all"; // the panel's filter, kept across swaps of the workspace
  let tab = "text"; // the narrow screen's tab, kept likewise

  function sidePanel() {
    return document.getElementById("side-panel");
  }

  function streamEl() {
    return document.getElementById("card-stream");
  }

  function workspaceEl() {
    return document.getElementById("workspace");
  }

  function marksFor(card) {
    if (!card) return [];
    if (card.dataset.annId) {
      return document.querySelectorAll('#article-text mark[data-ann~="' + CSS.escape(card.dataset.annId) + '"]');
    }
    if (card.dataset.flagId) {
      return document.querySelectorAll('#article-text mark[data-flag~="' + CSS.escape(card.dataset.flagId) + '"]');
    }
    return [];
  }

  /* The first mark of every note ("a12") and flag ("f7") in one pass over the text: a
     busy story has hundreds of cards and thousands of marks. */
  function firstMarks() {
    const found = new Map();
    document.querySelectorAll("#article-text mark").forEach(function (mark) {
      [["a", mark.dataset.ann], ["f", mark.dataset.flag]].forEach(function (pair) {
        if (!pair[1]) return;
        pair[1].split(" ").forEach(function (id) {
          if (id && !found.has(pair[0] + id)) found.set(pair[0] + id, mark);
        });
      });
    });
    return found;
  }

  function streamCards() {
    const list = streamEl();
    if (!list) return [];
    return Array.from(list.children).filter(function (li) {
      return li.classList.contains("card") && !li.hidden;
    });
  }

  function tabbed() {
    const ws = workspaceEl();
    return NARROW.matches && ws && ws.classList.contains("tabbed");
  }

  /* Wide screens: give each visible card of the stream its place. Reads every position
     first, then writes, so the browser lays the page out once. Returns where the active
     card goes (page coordinates), or null. */
  function layoutCards() {
    const list = streamEl();
    if (!list) return null;
    const above = aboveButton(list);
    if (!WIDE.matches) {
      if (list.classList.contains("is-aligned")) {
        list.classList.remove("is-aligned");
        list.style.height = "";
        list.style.clipPath = "";
        Array.from(list.children).forEach(function (li) {
          li.style.transform = "";
          placed.delete(li);
        });
      }
      if (!above.hidden) above.hidden = true;
      return null;
    }
    list.classList.add("is-aligned");
    const result = placeCards(list, above);
    if (result.aside !== !above.hidden) {
      // The button for cards moved up appears (or goes) above the list: place them again.
      above.hidden = !result.aside;
      return placeCards(list, above).active;
    }
    return result.active;
  }

  function placeCards(list, above) {
    const GAP = 10;
    const PAD = 6; // room for a card's focus ring above the first one
    const base = list.getBoundingClientRect().top;
    const marks = firstMarks();
    const items = Array.from(list.children)
      .filter(function (li) { return !li.hidden; })
      .map(function (li) {
        const key = li.dataset.annId ? "a" + li.dataset.annId : li.dataset.flagId ? "f" + li.dataset.flagId : "";
        const mark = marks.get(key) || null;
        return { li: li, want: mark ? mark.getBoundingClientRect().top - base : null, h: li.offsetHeight };
      });
    const tops = [];
    let y = PAD;
    items.forEach(function (item) {
      const top = Math.max(item.want === null ? y : item.want, y);
      tops.push(top);
      y = top + item.h + GAP;
    });
    const a = items.findIndex(function (item) { return item.li.classList.contains("is-active"); });
    if (a >= 0 && items[a].want !== null && tops[a] > items[a].want) {
      // The active card moves up level with its words; the cards before it move up to make
      // room, as far as they must. Those pushed above the list's top are clipped there
      // (never drawn over the filter) and a button above the list brings them back.
      tops[a] = Math.max(PAD, items[a].want);
      for (let i = a - 1; i >= 0; i -= 1) tops[i] = Math.min(tops[i], tops[i + 1] - items[i].h - GAP);
      for (let i = a + 1; i < items.length; i += 1) {
        tops[i] = Math.max(items[i].want === null ? PAD : items[i].want, tops[i - 1] + items[i - 1].h + GAP);
      }
    }
    let aside = 0;
    let firstShown = null;
    items.forEach(function (item, i) {
      if (tops[i] < PAD) aside += 1;
      else if (firstShown === null) firstShown = tops[i];
      moveTo(item.li, tops[i]);
    });
    // One clip for the whole list (cheap) rather than hiding each card set aside: nothing
    // above the first card that fits is drawn, not even part of a card.
    const clip = "inset(" + (aside && firstShown !== null ? firstShown - 4 : -PAD) + "px -16px -16px -16px)";
    if (list.style.clipPath !== clip) list.style.clipPath = clip;
    const last = items.length - 1;
    const height = (last >= 0 ? tops[last] + items[last].h + PAD : 0) + "px";
    if (list.style.height !== height) list.style.height = height;
    if (aside) {
      above.firstChild.textContent = "↑ " + aside + (aside === 1 ? " card" : " cards") +
        " moved up to make room: show all";
    }
    return {
      aside: aside > 0,
      active: a >= 0 ? { top: base + window.scrollY + tops[a], height: items[a].h } : null,
    };
  }

  /* Cards are placed with a transform, not `top`: moving hundreds of them then costs no
     layout, only painting. Unchanged ones are not touched. */
  const placed = new WeakMap();
  function moveTo(li, top) {
    if (placed.get(li) === top) return;
    placed.set(li, top);
    li.style.transform = "translateY(" + top + "px)";
  }

  /* The button, above the list, that stands for the cards moved up out of sight. */
  function aboveButton(list) {
    let box = list.previousElementSibling;
    if (!box || !box.classList.contains("stream-above")) {
      box = document.createElement("p");
      box.className = "stream-above";
      box.hidden = true;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-quiet btn-small";
      box.appendChild(button);
      list.parentNode.insertBefore(box, list);
    }
    return box;
  }

  let layoutQueued = false;
  function scheduleLayout() {
    if (layoutQueued) return;
    layoutQueued = true;
    requestAnimationFrame(function () {
      layoutQueued = false;
      layoutCards();
    });
  }

  const resizes = "ResizeObserver" in window ? new ResizeObserver(scheduleLayout) : null;
  function observeSizes() {
    if (!resizes) return;
    resizes.disconnect();
    const article = articleEl();
    if (article) resizes.observe(article);
    streamCards().forEach(function (card) { resizes.observe(card); });
  }

  /* Scroll the page so that [top, bottom] (page coordinates) is on screen: as little as
     needed, or centred (n / p); a pair taller than the screen shows its top. */
  function ensureInView(top, bottom, center) {
    const margin = 24;
    const view = window.innerHeight;
    const y = window.scrollY;
    const inView = top - margin >= y && bottom + margin <= y + view;
    if (inView) return;
    let target;
    if (bottom - top + 2 * margin > view) target = top - margin;
    else if (center) target = (top + bottom) / 2 - view / 2;
    else if (top - margin < y) target = top - margin;
    else target = bottom + margin - view;
    window.scrollTo({ top: Math.max(0, target), behavior: scrollBehavior() });
  }

  /* Bring a card into view inside the panel when the panel scrolls on its own (between
     the wide and the narrow layouts), without moving the page. */
  function revealInPanel(card) {
    const side = sidePanel();
    if (side && side.scrollHeight > side.clientHeight + 1 && getComputedStyle(side).overflowY !== "visible") {
      const box = side.getBoundingClientRect();
      const r = card.getBoundingClientRect();
      if (r.top < box.top) side.scrollTop -= box.top - r.top + 8;
      else if (r.bottom > box.bottom) side.scrollTop += Math.min(r.bottom - box.bottom + 8, r.top - box.top - 8);
      return;
    }
    card.scrollIntoView({ block: "nearest", behavior: scrollBehavior() });
  }

  function clearActive() {
    document.querySelectorAll(".is-active").forEach(function (el) {
      el.classList.remove("is-active");
    });
  }

  /* Make a card the active one: its passage is marked, the card moves beside it (wide
     screens) and whatever must be seen is scrolled into view.
     opts.focusCard: move the keyboard focus to the card; opts.showPassage: the passage
     must be in view; opts.center: centre them (n / p); opts.fromText: a click in the
     text (on a phone, switch to the cards); opts.toText: "Show in text" (the reverse). */
  function activate(card, options) {
    const opts = options || {};
    clearActive();
    if (!card) {
      layoutCards();
      return;
    }
    if (card.hidden) setFilter("all"); // a card the filter hid: show everything again
    const marks = marksFor(card);
    marks.forEach(function (m) { m.classList.add("is-active"); });
    card.classList.add("is-active");
    const group = card.closest("details");
    if (group && !group.open) group.open = true; // a note just resolved now sits under "Resolved"
    if (tabbed()) {
      if (opts.fromText) selectTab("cards");
      else if (opts.toText) selectTab("text");
    }
    const place = layoutCards();
    if (opts.focusCard) card.focus({ preventScroll: true });
    const mark = marks.length ? marks[0] : null;
    if (tabbed()) {
      if (tab === "cards") card.scrollIntoView({ block: "nearest", behavior: scrollBehavior() });
      else if (mark && opts.showPassage) mark.scrollIntoView({ block: "center", behavior: scrollBehavior() });
      return;
    }
    if (place && mark) {
      // Beside its passage: show the pair.
      const m = mark.getBoundingClientRect();
      const top = Math.min(m.top + window.scrollY, place.top);
      const bottom = Math.max(m.bottom + window.scrollY, place.top + Math.min(place.height, 240));
      ensureInView(top, bottom, opts.center);
      return;
    }
    if (mark && opts.showPassage) {
      const m = mark.getBoundingClientRect();
      ensureInView(m.top + window.scrollY, m.bottom + window.scrollY, opts.center);
    }
    if (opts.focusCard || opts.showPassage) revealInPanel(card);
  }

  function noteCard(id) {
    return document.getElementById("ann-" + id);
  }

  function flagCard(id) {
    return document.getElementById("flag-" + id);
  }

  /* A click on a highlight: its card (a note first, the innermost one), or just the mark
     when the flag has no card (past the first FLAG_CARDS_SHOWN). */
  function activateMark(mark) {
    const noteId = mark.dataset.ann ? mark.dataset.ann.split(" ")[0] : null;
    const flagId = mark.dataset.flag ? mark.dataset.flag.split(" ")[0] : null;
    const card = (noteId && noteCard(noteId)) || (flagId && flagCard(flagId));
    if (card) {
      activate(card, { focusCard: true, fromText: true });
      return;
    }
    clearActive();
    mark.classList.add("is-active");
  }

  /* n / p (and j / k): the next or previous card in reading order, among those the filter
     shows. With none active yet, start from the passages on screen. */
  function stepCard(direction) {
    const cards = streamCards();
    if (!cards.length) return false;
    let i = cards.findIndex(function (c) { return c.classList.contains("is-active"); });
    if (i >= 0) {
      i = (i + direction + cards.length) % cards.length;
    } else if (tabbed() && tab === "cards") {
      i = direction > 0 ? 0 : cards.length - 1;
    } else {
      const marks = firstMarks();
      const tops = cards.map(function (c) {
        const m = marks.get(c.dataset.annId ? "a" + c.dataset.annId : "f" + c.dataset.flagId);
        return m ? m.getBoundingClientRect().top : 0;
      });
      if (direction > 0) {
        i = tops.findIndex(function (t) { return t >= 0; });
        if (i < 0) i = 0;
      } else {
        i = -1;
        tops.forEach(function (t, j) { if (t <= window.innerHeight) i = j; });
        if (i < 0) i = cards.length - 1;
      }
    }
    activate(cards[i], { focusCard: true, showPassage: true, center: true });
    return true;
  }

  /* The filter: All, Notes, Flags, Open, Mine. Client-side: cards are hidden, not fetched. */
  const FILTER_LABELS = { all: "All", notes: "Notes", flags: "Flags", open: "Open", mine: "Mine" };

  function matches(li, name) {
    if (name === "notes") return li.dataset.kind === "note";
    if (name === "flags") return li.dataset.kind === "flag";
    if (name === "open") return li.dataset.open === "1" || li.classList.contains("more-cards");
    if (name === "mine") return li.hasAttribute("data-mine");
    return true;
  }

  function setFilter(name) {
    filter = FILTER_LABELS[name] ? name : "all";
    applyFilter();
  }

  function applyFilter() {
    const side = sidePanel();
    if (!side) return;
    side.querySelectorAll(".filter[data-filter]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.filter === filter));
    });
    side.querySelectorAll("li[data-kind]").forEach(function (li) {
      const hide = !matches(li, filter);
      if (li.hidden !== hide) li.hidden = hide; // untouched cards cost no restyling
    });
    side.querySelectorAll(".card-group").forEach(function (group) {
      const hide = !group.querySelector("li[data-kind]:not([hidden])");
      if (group.hidden !== hide) group.hidden = hide;
    });
    const list = streamEl();
    if (list) {
      let none = list.querySelector(".filter-empty");
      const any = list.querySelector("li[data-kind]");
      const shown = list.querySelector("li[data-kind]:not([hidden])");
      if (any && !shown) {
        if (!none) {
          none = document.createElement("li");
          none.className = "empty filter-empty";
          list.appendChild(none);
        }
        const below = side.querySelector(".card-group:not([hidden])");
        none.textContent = below
          ? "None in the text under “" + FILTER_LABELS[filter] + "”: see below."
          : "Nothing to show under “" + FILTER_LABELS[filter] + "”.";
      } else if (none) {
        none.remove();
      }
    }
    const active = side.querySelector(".card.is-active");
    if (active && active.hidden) clearActive();
    layoutCards();
    observeSizes();
  }

  /* Narrow screens: "Text | Notes & flags" tabs. Both stay in the page; the one not
     chosen is hidden by a class (so a wider window shows both again). */
  function selectTab(name, focus) {
    tab = name === "cards" ? "cards" : "text";
    const ws = workspaceEl();
    if (!ws) return;
    ws.classList.toggle("show-text", tab === "text");
    ws.classList.toggle("show-cards", tab === "cards");
    ws.querySelectorAll('.view-tabs [role="tab"]').forEach(function (t) {
      const on = t.id === "tab-" + tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      if (on && focus) t.focus();
    });
  }

  function applyTabRoles() {
    const ws = workspaceEl();
    if (!ws) return;
    const pairs = [["tab-text", articleEl()], ["tab-cards", sidePanel()]];
    pairs.forEach(function (pair) {
      const panelEl = pair[1];
      if (!panelEl) return;
      if (NARROW.matches) {
        panelEl.setAttribute("role", "tabpanel");
        panelEl.setAttribute("aria-labelledby", pair[0]);
      } else {
        panelEl.removeAttribute("role");
        if (panelEl.id === "side-panel") panelEl.setAttribute("aria-labelledby", "notes-heading");
        else panelEl.removeAttribute("aria-labelledby");
      }
    });
  }

  function onTabKeydown(event) {
    const current = event.target.closest && event.target.closest('.view-tabs [role="tab"]');
    if (!current) return false;
    const keys = { ArrowLeft: "text", ArrowRight: "cards", Home: "text", End: "cards" };
    if (!(event.key in keys)) return false;
    event.preventDefault();
    selectTab(keys[event.key], true);
    return true;
  }

  /* After the page loads and after every swap of the workspace. */
  function initPanel() {
    const ws = workspaceEl();
    if (!ws) return;
    const bar = ws.querySelector(".filter-bar");
    if (bar) bar.hidden = false;
    const tabs = ws.querySelector(".view-tabs");
    if (tabs) {
      tabs.hidden = false;
      ws.classList.add("tabbed");
      selectTab(tab);
      applyTabRoles();
    }
    applyFilter();
    document.querySelectorAll("textarea[data-limit]").forEach(updateCount);
  }

  /* ---- the comment limit --------------------------------------------------------- */
  // No maxlength: a pasted comment over the limit is never cut without a word. Near the
  // limit a counter shows; over it a message says by how much, and the form is not sent.

  function commentLength(text) {
    return cpLength(text.replace(/\r\n?/g, "\n").trim()); // as the server counts it
  }

  function formatNumber(n) {
    return n.toLocaleString("en-GB");
  }

  function overLimit(field) {
    const limit = Number(field.dataset.limit);
    return limit ? commentLength(field.value) - limit : -1;
  }

  function updateCount(field) {
    const limit = Number(field.dataset.limit);
    if (!limit || !field.id) return;
    const n = commentLength(field.value);
    let out = document.getElementById(field.id + "-count");
    if (n < limit * NEAR_LIMIT) {
      if (out) out.hidden = true;
      if (field.dataset.overLimit) {
        field.removeAttribute("aria-invalid");
        delete field.dataset.overLimit;
      }
      return;
    }
    if (!out) {
      out = document.createElement("p");
      out.className = "char-count";
      out.id = field.id + "-count";
      out.setAttribute("aria-live", "polite");
      field.insertAdjacentElement("afterend", out);
      const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      described.push(out.id);
      field.setAttribute("aria-describedby", described.join(" "));
    }
    out.hidden = false;
    const over = n - limit;
    out.classList.toggle("is-over", over > 0);
    if (over > 0) {
      out.textContent = "This comment is " + formatNumber(n) + " characters; the limit is " +
        formatNumber(limit) + " — shorten it by " + formatNumber(over) + ".";
      field.setAttribute("aria-invalid", "true");
      field.dataset.overLimit = "1";
    } else {
      out.textContent = formatNumber(n) + " / " + formatNumber(limit);
      if (field.dataset.overLimit) {
        field.removeAttribute("aria-invalid");
        delete field.dataset.overLimit;
      }
    }
  }

  function onInput(event) {
    const field = event.target;
    if (field && field.matches && field.matches("textarea[data-limit]")) updateCount(field);
  }

  /* Before htmx (or the browser) sends a form: a comment over the limit, or a note on a
     text that has changed under it, is not sent. Capture phase, so it runs first. */
  function onSubmitCapture(event) {
    const form = event.target;
    if (!form || form.tagName !== "FORM") return;
    const over = Array.from(form.querySelectorAll("textarea[data-limit]")).find(function (f) {
      return overLimit(f) > 0;
    });
    if (over) {
      event.preventDefault();
      event.stopPropagation();
      updateCount(over);
      over.focus();
      return;
    }
    if (form.id === "annotate-form") {
      const article = articleEl();
      const revision = form.querySelector('[name="revision"]');
      if (article && revision && revision.value && revision.value !== article.dataset.revision) {
        event.preventDefault();
        event.stopPropagation();
        showDialogError(form.closest("dialog"), STALE_NOTE);
      }
    }
  }

  /* Ctrl+Enter (Cmd+Enter on a Mac) in a comment or reply sends its form. */
  function onSendShortcut(event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    const field = event.target;
    if (!field || field.tagName !== "TEXTAREA" || !field.form) return;
    event.preventDefault();
    const submit = field.form.querySelector('button[type="submit"]');
    field.form.requestSubmit(submit || undefined);
  }

  /* ---- clicks ------------------------------------------------------------------- */

  function closeMenus(except) {
    document.querySelectorAll("details.menu[open], details.nav-menu[open]").forEach(function (menu) {
      if (menu === except) return;
      const summary = menu.querySelector("summary");
      // The top bar's menu is a plain row on wide screens (its button hidden): leave it.
      if (menu.classList.contains("nav-menu") && summary && !summary.offsetParent) return;
      const hadFocus = menu.contains(document.activeElement);
      menu.open = false;
      // Focus inside a closing menu would fall back to the page: keep it on the menu's button.
      if (hadFocus && summary) summary.focus();
    });
  }

  function onClick(event) {
    const target = event.target;
    const dismiss = target.closest(".notice-close");
    if (dismiss) {
      dismiss.closest(".notice").remove();
      const next = document.querySelector("#notices .notice-close");
      if (next) next.focus();
      else document.getElementById("main").focus({ preventScroll: true });
      return;
    }
    const menuLink = target.closest("details.menu a");
    if (menuLink) {
      menuLink.closest("details").open = false; // the download or page still goes ahead
    } else {
      closeMenus(target.closest("details.menu, details.nav-menu"));
    }
    const closer = target.closest("[data-close-dialog]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    const opener = target.closest("[data-open-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog && !dialog.open) dialog.showModal();
      return;
    }
    // Publish with notes or flags still open asks first (the dialog lists them).
    const confirmStep = target.closest("button[data-confirm-dialog]");
    if (confirmStep) {
      const dialog = document.getElementById(confirmStep.dataset.confirmDialog);
      if (dialog) {
        event.preventDefault();
        clearDialogError(dialog);
        dialog.showModal();
        return;
      }
    }
    const reveal = target.closest(".reveal-form[data-reveal]");
    if (reveal) {
      // "Reply…" / "Dismiss…" on a short card beside the text: open the card at that field.
      activate(reveal.closest(".card"), {});
      const field = document.getElementById(reveal.dataset.reveal);
      if (field) field.focus();
      return;
    }
    const closeDiscuss = target.closest("[data-close-discuss]");
    if (closeDiscuss) {
      foldDiscussion(closeDiscuss.closest("details.discuss"));
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
    if (target.closest(".stream-above button")) {
      activate(null); // every card back in its own place
      const first = streamCards()[0];
      if (first) first.scrollIntoView({ block: "nearest", behavior: scrollBehavior() });
      return;
    }
    const filterButton = target.closest(".filter[data-filter]");
    if (filterButton) {
      setFilter(filterButton.dataset.filter);
      return;
    }
    const tabButton = target.closest('.view-tabs [role="tab"]');
    if (tabButton) {
      selectTab(tabButton.id === "tab-cards" ? "cards" : "text");
      return;
    }
    const showFlag = target.closest(".show-flag");
    if (showFlag) {
      activate(flagCard(showFlag.dataset.flagId), { showPassage: true, toText: true });
      return;
    }
    const reattach = target.closest(".reattach-form button[type=submit]");
    if (reattach && !fillSelection(reattach.form)) {
      event.preventDefault();
      notify("Select the words in the story first, then press “" + reattach.textContent.trim() + "”.", "error", reattach);
      return;
    }
    const show = target.closest(".show-passage");
    if (show) {
      activate(noteCard(show.dataset.annId), { showPassage: true, toText: true });
      return;
    }
    const mark = target.closest("mark[data-ann], mark[data-flag]");
    if (mark) {
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed) return; // the click ended a selection drag
      activateMark(mark);
      return;
    }
    const card = target.closest("#side-panel .card[data-ann-id], #side-panel .card[data-flag-id]");
    if (card && !target.closest("button, a, textarea, input, select, form, summary, details")) {
      activate(card, { showPassage: true });
    }
  }

  /* Discuss on a flag's card: a small form folds open; its textarea takes the focus. */
  function onToggle(event) {
    const details = event.target;
    if (!details.matches || !details.matches("details.discuss") || !details.open) return;
    const field = details.querySelector("textarea");
    if (field) field.focus();
  }

  function foldDiscussion(details) {
    if (!details) return;
    details.open = false;
    details.querySelector("summary").focus();
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

  /* Tabbing into a card beside the text makes it the active one (so a card moved out of
     sight comes back beside its words). Keyboard focus only: a click must not move the
     card under the pointer before the click lands. */
  function onCardFocus(event) {
    const target = event.target;
    if (!WIDE.matches || !target.closest || !target.matches(":focus-visible")) return;
    const card = target.closest("#card-stream > .card");
    if (card && !card.classList.contains("is-active") && target !== card) activate(card, {});
  }

  function onFocusIn(event) {
    const article = articleEl();
    if (article && event.target === article && !selectionInside(article)) placeCaretAtStart(article);
    drawCaret();
  }

  function typingIn(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function openShortcuts() {
    const dialog = document.getElementById("shortcuts-dialog");
    if (!dialog || dialog.open) return false;
    closeMenus(null);
    dialog.showModal();
    return true;
  }

  function onKeydown(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (event.key === "Escape" && target.closest) {
      if (target.closest("details.menu[open], details.nav-menu[open]")) {
        // Escape closes a menu even from a field inside it (Import notes' file chooser).
        closeMenus(null);
        return;
      }
      const discussion = target.closest("details.discuss[open]");
      if (discussion) {
        event.preventDefault();
        foldDiscussion(discussion);
        return;
      }
      // A dialog closes itself; what was selected in the text stays selected.
      if (target.closest("dialog[open]")) return;
    }
    if (onTabKeydown(event)) return;
    if (typingIn(target) || document.querySelector("dialog[open]")) return;
    if (event.key === "?") {
      if (openShortcuts()) event.preventDefault();
      return;
    }
    const key = event.key.toLowerCase();
    if (key === "a" && selectionTools() && currentSelection()) {
      event.preventDefault();
      openAnnotateDialog();
    } else if (key === "f" && document.getElementById("flag-dialog") && currentSelection()) {
      event.preventDefault();
      openSelectionDialog("flag-dialog");
    } else if ((key === "n" || key === "p" || key === "j" || key === "k") && !event.shiftKey) {
      if (stepCard(key === "n" || key === "j" ? 1 : -1)) event.preventDefault();
    } else if (event.key === "Escape") {
      closeMenus(null);
      hideAnnotate();
      activate(null);
    }
  }

  /* ---- notices ------------------------------------------------------------------ */
  // One at a time: a new notice (or a refusal) replaces the ones before, including the
  // "Story is now in review." line a step left beside the status.

  function clearNotices(keepInline) {
    document.querySelectorAll("#notices .notice, .inline-refusal").forEach(function (el) { el.remove(); });
    if (!keepInline) document.querySelectorAll(".inline-notice").forEach(function (el) { el.remove(); });
  }

  function notify(message, kind, near) {
    const box = document.getElementById("notices");
    if (!box) return;
    clearNotices(false);
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
    // The notice area is at the top of the page; a refusal for a card far below is also
    // said next to the control that asked (the live region has announced it already).
    const spot = near && near.isConnected && (near.closest("form") || near);
    const box_ = box.getBoundingClientRect();
    if (spot && (box_.bottom < 0 || box_.top > window.innerHeight)) {
      const line = document.createElement("p");
      line.className = "inline-refusal";
      line.textContent = message;
      spot.insertAdjacentElement("afterend", line);
    }
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

  /* A note refused because the story changed since the page was loaded: the comment stays
     in the dialog, the text and cards are fetched afresh, and the person is told to select
     the passage again. */
  function onStaleNote(dialog) {
    pending = null;
    if (dialog) showDialogError(dialog, STALE_NOTE);
    notify(STALE_NOTE, "warning");
    if (window.htmx && document.getElementById("article-main")) {
      window.htmx.ajax("GET", window.location.pathname, {
        target: "#article-main", select: "#article-main", swap: "outerHTML",
      });
    }
  }

  function onResponseError(event) {
    const xhr = event.detail.xhr;
    const elt = event.detail.elt;
    const dialog = elt && elt.closest && elt.closest("dialog");
    if (xhr.status === 409 && elt && elt.id === "annotate-form") {
      onStaleNote(dialog);
      return;
    }
    const message = messageFrom(xhr);
    if (dialog && dialog.open) showDialogError(dialog, message);
    else notify(message, "error", elt);
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

  function onSendError(event) {
    const elt = event.detail && event.detail.elt;
    notify("The server could not be reached. Nothing was saved; try again.", "error", elt);
  }

  function onAfterRequest(event) {
    const elt = event.detail.elt;
    const inDialog = elt && elt.closest && elt.closest("dialog") && elt.tagName === "FORM";
    if (inDialog && event.detail.successful && event.detail.xhr.status < 300) {
      const dialog = elt.closest("dialog");
      hideAnnotate(); // saved: the selection is done with (before the dialog's close event)
      const sel = window.getSelection();
      if (sel) sel.removeAllRanges();
      if (dialog) dialog.close();
      elt.reset();
      elt.querySelectorAll("textarea[data-limit]").forEach(updateCount);
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

  function onAfterSwap() {
    initPanel(); // before htmx settles the classes: the cards never show out of place
  }

  function onAfterSettle(event) {
    initPanel();
    const target = event.detail.target;
    if (target && target.querySelector && target.querySelector(".inline-notice")) {
      clearNotices(true); // a step's own notice replaces the ones before it
    }
    const xhr = event.detail.xhr;
    const id = xhr && xhr.getResponseHeader("X-Annotation-Focus");
    if (id) activate(noteCard(id), { focusCard: true });
    const lost = !document.activeElement || document.activeElement === document.body;
    const card = lost && focusedCardId && document.getElementById(focusedCardId);
    if (card) {
      const group = card.closest("details");
      if (group) group.open = true;
      card.focus({ preventScroll: true });
    } else if (lost && target && target.id === "article-main") {
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
  document.addEventListener("input", onInput);
  document.addEventListener("selectionchange", onSelectionChange);
  document.addEventListener("click", onClick);
  document.addEventListener("keydown", onSendShortcut);
  document.addEventListener("keydown", onArticleKeydown);
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("submit", onSubmitCapture, true);
  document.addEventListener("toggle", onToggle, true); // toggle does not bubble
  document.addEventListener("close", onDialogClose, true); // nor does close
  document.addEventListener("focusin", onFocusIn);
  document.addEventListener("focusin", onCardFocus);
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
  document.addEventListener("htmx:afterSwap", onAfterSwap);
  document.addEventListener("htmx:afterSettle", onAfterSettle);
  window.addEventListener("resize", scheduleLayout);
  WIDE.addEventListener("change", scheduleLayout);
  NARROW.addEventListener("change", function () {
    applyTabRoles();
    scheduleLayout();
  });
  document.addEventListener("DOMContentLoaded", function () {
    initPanel();
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(scheduleLayout);
    const hash = window.location.hash.match(/^#ann-(\d+)$/);
    if (hash) activate(noteCard(hash[1]), { focusCard: true, showPassage: true });
  });
})();
