// The reviewers' pages: counting and confirming a bulk approval, ready-made return reasons, and the keyboard
// (a reviewer on a desk clears a queue without the mouse). Loaded only by the reviewers' templates.
"use strict";

(() => {
  const T = JSON.parse(document.getElementById("texts")?.textContent || "{}");
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));

  function say(text, kind) {
    const flash = document.getElementById("flash");
    if (!flash) return;
    const p = document.createElement("p");
    p.className = kind;
    p.textContent = text;
    flash.replaceChildren(p);
  }

  // A message about the last action must not stand beside the outcome of a new one.
  function forgetLastOutcome() {
    document.getElementById("flash")?.replaceChildren();
    for (const old of document.querySelectorAll(".done-message")) old.remove();
  }

  // "?done=…" said what happened before this page opened; a reload must not say it again.
  const here = new URL(location.href);
  if (here.searchParams.has("done")) {
    here.searchParams.delete("done");
    history.replaceState(history.state, "", here.pathname + (here.search || "") + here.hash);
  }

  // ---- bulk approval: the count on the button, a confirmation naming it, nothing sent when nothing is ticked ----

  const boxes = () => [...document.querySelectorAll('#many input[name="record_id"]')];
  const ticked = () => boxes().filter((box) => box.checked).length;

  function showCount() {
    const button = document.getElementById("approve-many");
    if (!button) return;
    const n = ticked();
    button.textContent = n ? fill(T.approve_selected_n, { n }) : T.approve_selected;
    const all = document.getElementById("select-all");
    if (all) all.checked = n > 0 && n === boxes().length;
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    // Also after the list was reloaded (a new "select all" box, which app.js's own listener never saw).
    if (target.id === "select-all") for (const box of boxes()) box.checked = target.checked;
    if (target.id === "select-all" || target.name === "record_id") showCount();
  });

  document.addEventListener("htmx:confirm", (event) => {
    const form = event.detail.elt;
    if (form.id !== "many") return;
    event.preventDefault();
    forgetLastOutcome();
    const n = ticked();
    if (n === 0) {
      say(T.pick_records, "error");
      return;
    }
    if (window.confirm(fill(T.approve_confirm, { n }))) event.detail.issueRequest(true);
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    // The queue reloading itself after a bulk approval keeps that approval's message.
    if (event.detail.elt.id !== "queue-list") forgetLastOutcome();
  });
  document.addEventListener("htmx:afterSwap", showCount);

  // ---- ready-made return reasons: a tap adds one to the reason, which stays editable ----

  document.addEventListener("click", (event) => {
    const chip = event.target.closest("button[data-reason]");
    if (!chip) return;
    const area = document.getElementById("reason");
    const reason = chip.dataset.reason;
    const now = area.value.trim();
    if (!now.includes(reason)) area.value = now ? `${now}；${reason}` : reason;
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  });

  // ---- the keyboard ----

  function typing(el) {
    if (!el) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type);
  }

  const rows = () => [...document.querySelectorAll("table.queue tbody tr")];
  let current = -1;

  function moveTo(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((row, i) => row.classList.toggle("current", i === current));
    const link = all[current].querySelector("a.row");
    link.focus();
    link.scrollIntoView({ block: "nearest" });
  }

  function rowOf(el) {
    const row = el?.closest?.("table.queue tbody tr");
    return row ? rows().indexOf(row) : -1;
  }

  function onQueueKey(event) {
    const focused = document.activeElement;
    const at = rowOf(focused);
    if (at >= 0) current = at;
    // Arrows and Enter belong to other controls when one has the focus (a button, the pager).
    const ours = at >= 0 || !focused || focused === document.body;
    const key = event.key;
    if (key === "j" || (key === "ArrowDown" && ours)) moveTo(current + 1);
    else if (key === "k" || (key === "ArrowUp" && ours)) moveTo(current < 0 ? 0 : current - 1);
    else if (key === "x" && current >= 0) {
      const box = rows()[current]?.querySelector('input[name="record_id"]');
      if (!box) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (key === "Enter" && at >= 0 && focused.tagName !== "A") rows()[current].querySelector("a.row").click();
    else return;
    event.preventDefault();
  }

  function onRecordKey(event) {
    const approve = document.getElementById("approve");
    if (event.altKey && event.code === "KeyA") {
      if (approve && !approve.disabled) approve.click();
    } else if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    } else if (event.key === "r" && document.getElementById("reason")) {
      document.getElementById("reason").focus();
    } else if (event.key === "j" && document.getElementById("skip")) {
      location.href = document.getElementById("skip").href;
    } else if (event.key === "Escape") {
      location.href = document.getElementById("back").href;
    } else {
      return;
    }
    event.preventDefault();
  }

  document.addEventListener("keydown", (event) => {
    // Never while typing: a reason or a search is text, not commands.
    if (typing(event.target) || event.isComposing) return;
    if (document.getElementById("review-record")) onRecordKey(event);
    else if (document.getElementById("review-queue") && !event.altKey && !event.ctrlKey && !event.metaKey) onQueueKey(event);
  });

  document.addEventListener("DOMContentLoaded", showCount);
})();
