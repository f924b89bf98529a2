// The page script: the offline outbox (IndexedDB), sending records with a client-made key, errors, small helpers.
"use strict";

const T = JSON.parse(document.getElementById("texts").textContent);
const USER = document.body.dataset.user || "";
const DB_NAME = "ce-outbox";
const STORE = "items";

// ---- the outbox: every record typed is kept here until the server has it ----

function openOutbox() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function outbox(mode, work) {
  const db = await openOutbox();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(result && "result" in result ? result.result : undefined); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}

const putItem = (item) => outbox("readwrite", (s) => s.put(item));
const deleteItem = (key) => outbox("readwrite", (s) => s.delete(key));
const allItems = () => outbox("readonly", (s) => s.getAll());
const myItems = async () => (await allItems()).filter((i) => i.user === USER).sort((a, b) => a.createdAt - b.createdAt);

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- talking to the API ----

class Offline extends Error {}
class Refused extends Error {
  constructor(status, problem) { super(problem.detail || String(status)); this.status = status; this.problem = problem; }
}

// A weak connection must not leave the button spinning: past this, the call counts as offline
// (a new record then stays in the outbox and is sent again with the same key).
const CALL_TIMEOUT_MS = 20000;
const UPLOAD_TIMEOUT_MS = 600000;   // 10 MB at 150 kbit/s

// AbortSignal.timeout is missing on older phones (iOS < 16): make the same signal by hand there.
function timeoutSignal(ms) {
  if (typeof AbortSignal.timeout === "function") return AbortSignal.timeout(ms);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
}

async function call(url, options = {}, timeout = CALL_TIMEOUT_MS) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", signal: timeoutSignal(timeout), ...options });
  } catch (e) {
    throw new Offline(String(e));
  }
  if (response.status >= 500) throw new Offline(`HTTP ${response.status}`);   // try again later
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : {};
  if (!response.ok) throw new Refused(response.status, body);
  return { status: response.status, body };
}

async function csrf() {
  const me = await call("/api/v1/auth/me");
  return me.body.csrf_token;
}

const jsonCall = (url, method, token, body) => call(url, {
  method, headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
  body: body === undefined ? undefined : JSON.stringify(body),
});

async function uploadEvidence(file, token) {
  const form = new FormData();
  form.append("file", file, file.name || "certificate");
  try {
    return (await call("/api/v1/me/evidence", { method: "POST", headers: { "X-CSRF-Token": token }, body: form },
      UPLOAD_TIMEOUT_MS)).body.evidence_ref;
  } catch (e) {
    if (e instanceof Refused && !e.problem.errors) e.problem.errors = [{ field: "certificate", message: e.message }];
    throw e;
  }
}

async function submitRecord(record, token) {
  if (record.status !== "draft" && record.status !== "returned") return record;
  try {
    return (await jsonCall(`/api/v1/me/records/${record.id}/submit`, "POST", token)).body;
  } catch (e) {
    if (e instanceof Refused && e.status === 409) return record;   // already submitted by an earlier try
    throw e;
  }
}

// Send one outbox item: certificate, then the record with its key (a resend returns the first), then submit.
async function sendItem(item, token) {
  if (item.file && !item.fields.evidence_ref) {
    item.fields.evidence_ref = await uploadEvidence(item.file, token);
    await putItem(item);   // the upload is not repeated
  }
  if (item.recordId) {   // a fix of a returned (or draft) record, made while offline
    const edited = await jsonCall(`/api/v1/me/records/${item.recordId}`, "PATCH", token, item.fields);
    const record = await submitRecord(edited.body, token);
    await deleteItem(item.key);
    return record;
  }
  const created = await jsonCall("/api/v1/me/records", "POST", token, { ...item.fields, client_key: item.key });
  const record = await submitRecord(created.body, token);
  await deleteItem(item.key);
  return record;
}

let flushing = false;

// Send everything waiting; true when something was sent.
async function flush() {
  if (flushing || !USER || !navigator.onLine) return false;
  flushing = true;
  let sent = false;
  try {
    const items = (await myItems()).filter((i) => !i.error);
    if (!items.length) return false;
    let token;
    try {
      token = await csrf();
    } catch (e) {
      if (e instanceof Refused) showFlash(T.outbox_sign_in, "error");
      return false;
    }
    for (const item of items) {
      try {
        await sendItem(item, token);
        sent = true;
      } catch (e) {
        if (e instanceof Offline) break;
        item.error = describe(e);   // kept, with the reason, until the owner fixes or removes it
        await putItem(item);
      }
    }
  } finally {
    flushing = false;
    await renderOutbox();
  }
  return sent;
}

// ---- showing things ----

// API field names that the form shows under another input.
const FIELD_INPUT = { year: "completed_on", evidence: "certificate", evidence_ref: "certificate", file: "certificate" };

function labelOf(field) {
  const name = FIELD_INPUT[field] || field;
  const label = document.querySelector(`label[for="${CSS.escape(name)}"]`)
    || document.querySelector(`[name="${CSS.escape(name)}"]`)?.closest("fieldset")?.querySelector("legend");
  return label ? label.textContent.trim() : (T.fields[field] || field);
}

// The API speaks English to machines; say its field messages in the page's words where we know them.
function inWords(message) {
  for (const [pattern, text] of T.messages) {
    const re = new RegExp(pattern);
    if (re.test(message)) return message.replace(re, text);
  }
  return message;
}

function describe(error) {
  if (error instanceof Refused && error.problem.errors) {
    return error.problem.errors.map((e) => `${labelOf(e.field)}：${inWords(e.message)}`).join("；");
  }
  if (error instanceof Refused) return T.statuses[String(error.status)] || T.error;
  return error.message || T.error;
}

function showFlash(text, kind = "ok") {
  const flash = document.getElementById("flash");
  if (!flash) return;
  flash.replaceChildren();
  const p = document.createElement("p");
  p.className = kind;
  p.textContent = text;
  flash.append(p);
}

async function renderOutbox() {
  const box = document.getElementById("outbox");
  if (!box) return;
  const items = await myItems();
  const list = box.querySelector("ul");
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    li.dataset.key = item.key;
    const title = document.createElement("strong");
    title.textContent = item.fields.course_title;
    const meta = document.createElement("span");
    meta.className = "small";
    meta.textContent = ` ${item.fields.completed_on} · ${item.fields.hours} ${T.hours_unit} · `;
    const state = document.createElement("span");
    state.className = item.error ? "badge returned" : "badge pending";
    state.textContent = item.error ? T.outbox_failed : T.outbox_title;
    li.append(title, meta, state);
    if (item.error) {
      const why = document.createElement("p");
      why.className = "small warn";
      why.textContent = item.error;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = T.outbox_remove;
      remove.addEventListener("click", async () => { await deleteItem(item.key); await renderOutbox(); });
      const fix = document.createElement("button");
      fix.type = "button";
      fix.className = "primary";
      fix.textContent = T.outbox_fix;
      fix.addEventListener("click", () => {
        sessionStorage.setItem(FIX_KEY, item.key);
        location.href = item.recordId ? `/records/${item.recordId}/edit` : "/records/new";
      });
      li.append(why, fix, remove);
    }
    list.append(li);
  }
  box.hidden = items.length === 0;
}

function showFormErrors(form, error) {
  const box = form.querySelector("#form-errors");
  box.replaceChildren();
  const lines = error instanceof Refused && error.problem.errors
    ? error.problem.errors.map((e) => `${labelOf(e.field)}：${inWords(e.message)}`)
    : [describe(error)];
  const head = document.createElement("p");
  head.textContent = T.field_errors;
  const list = document.createElement("ul");
  for (const line of lines) {
    const li = document.createElement("li");
    li.textContent = line;
    list.append(li);
  }
  box.append(head, list);
  box.hidden = false;
  box.scrollIntoView({ block: "center" });
}

// ---- the form to add or fix a record ----

// The outbox item being fixed on the form: it stays in the outbox until its corrected copy is kept.
const FIX_KEY = "fix-outbox-item";

// The outbox item the form is fixing, if any; and forgetting it once its corrected copy is kept.
async function itemBeingFixed(form) {
  return form.dataset.fixKey ? (await myItems()).find((i) => i.key === form.dataset.fixKey) : null;
}

async function forgetFixed(form, fixing) {
  if (!fixing) return;
  await deleteItem(fixing.key);
  delete form.dataset.fixKey;
  sessionStorage.removeItem(FIX_KEY);
}

async function loadItemToFix(form) {
  const key = sessionStorage.getItem(FIX_KEY);
  if (!key) return;
  const item = (await myItems()).find((i) => i.key === key);
  // The item belongs on this form: a new record's on the new form, a fix of a record on that record's.
  if (!item || (item.recordId || "") !== (form.dataset.recordId || "")) { sessionStorage.removeItem(FIX_KEY); return; }
  form.dataset.fixKey = key;
  for (const name of ["course_title", "hours", "completed_on", "provider", "course_code"]) {
    if (form.elements[name] && item.fields[name] !== undefined) form.elements[name].value = item.fields[name];
  }
  const category = form.querySelector(`input[name="category"][value="${CSS.escape(item.fields.category)}"]`);
  if (category) category.checked = true;
  if (item.error) showFormErrors(form, new Error(item.error));
}

function readForm(form) {
  const data = new FormData(form);
  const text = (name) => String(data.get(name) || "").trim();
  const completed = text("completed_on");
  const fields = {
    year: Number(completed.slice(0, 4)), category: text("category"), hours: Number(text("hours")),
    course_title: text("course_title"), completed_on: completed, provider: text("provider"),
  };
  if (text("course_code")) fields.course_code = text("course_code");
  const files = [form.certificate?.files?.[0], form.certificate_file?.files?.[0]].filter(Boolean);
  return { fields, file: files[0] || null };
}

// The browser's own messages follow its language, not the page's: say it in the page's words.
function whyInvalid(input) {
  const v = input.validity;
  if (v.valueMissing) return T.value_missing;
  if (v.badInput || v.typeMismatch || v.patternMismatch) return T.bad_input;
  if (v.rangeOverflow) return T.range_overflow.replace("{max}", input.max);
  if (v.rangeUnderflow) return T.range_underflow.replace("{min}", input.min);
  if (v.stepMismatch) return T.step_mismatch;
  if (v.tooLong) return T.too_long.replace("{max}", input.maxLength);
  return input.validationMessage;
}

function checkForm(form) {
  const errors = [];
  for (const input of form.querySelectorAll("input, textarea")) {
    if (!input.checkValidity() && !errors.some((e) => e.field === (input.id || input.name))) {
      errors.push({ field: input.type === "radio" ? "category" : input.id, message: whyInvalid(input) });
    }
  }
  return errors.length ? new Refused(422, { errors }) : null;
}

async function onRecordForm(event) {
  event.preventDefault();
  const form = event.target;
  const invalid = checkForm(form);
  if (invalid) { showFormErrors(form, invalid); return; }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const label = button.textContent;
  button.textContent = T.saving;
  try {
    const { fields, file } = readForm(form);
    if (form.dataset.recordId) {
      await saveEdit(form.dataset.recordId, fields, file);
      return;
    }
    const fixing = await itemBeingFixed(form);
    // A fixed item gets a new key: the server may hold a draft under the old one, made before it refused.
    const item = { key: newKey(), user: USER, fields, file: file || fixing?.file || null,
                   createdAt: fixing?.createdAt || Date.now() };
    await putItem(item);   // kept on the device before anything is sent
    await forgetFixed(form, fixing);
    if (!navigator.onLine) { leaveForHome(T.saved_offline); return; }
    try {
      const record = await sendItem(item, await csrf());
      sessionStorage.setItem("flash", T.synced);
      location.href = `/records/${record.id}`;
    } catch (e) {
      if (e instanceof Offline) { leaveForHome(T.saved_offline); return; }
      if (fixing) {
        // Refused again: keep it on the device with the reason (its certificate may live only there).
        item.error = describe(e);
        await putItem(item);
        form.dataset.fixKey = item.key;
        sessionStorage.setItem(FIX_KEY, item.key);
      } else {
        await deleteItem(item.key);   // refused: the form still holds every value, to fix and send again
      }
      showFormErrors(form, e);
    }
  } catch (e) {
    showFormErrors(form, e);
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

async function saveEdit(recordId, fields, file) {
  const form = document.getElementById("record-form");
  const fixing = await itemBeingFixed(form);
  try {
    const token = await csrf();
    const change = { ...fields };
    if (file || fixing?.file) change.evidence_ref = await uploadEvidence(file || fixing.file, token);
    const edited = await jsonCall(`/api/v1/me/records/${recordId}`, "PATCH", token, change);
    await submitRecord(edited.body, token);
    await forgetFixed(form, fixing);
    sessionStorage.setItem("flash", T.synced);
    location.href = `/records/${recordId}`;
  } catch (e) {
    if (!(e instanceof Offline)) { showFormErrors(form, e); return; }
    // No connection: the fix waits on the device like a new record, and is sent when it returns.
    await putItem({ key: newKey(), user: USER, recordId, fields, file: file || fixing?.file || null,
                    createdAt: fixing?.createdAt || Date.now() });
    await forgetFixed(form, fixing);
    leaveForHome(T.saved_offline);
  }
}

function leaveForHome(message) {
  sessionStorage.setItem("flash", message);
  location.href = "/";
}

// ---- wiring ----

function updateOnline() {
  const banner = document.getElementById("offline-banner");
  if (banner) banner.hidden = navigator.onLine;
}

document.addEventListener("DOMContentLoaded", async () => {
  updateOnline();
  const message = sessionStorage.getItem("flash");
  if (message) { sessionStorage.removeItem("flash"); showFlash(message); }
  const recordForm = document.getElementById("record-form");
  if (recordForm) {
    recordForm.addEventListener("submit", onRecordForm);
    await loadItemToFix(recordForm);
  }
  if (document.getElementById("login-form") && "caches" in window) {
    // Signed out (by the button, or because the session ended): the last account's pages must not open.
    for (const name of await caches.keys()) if (name.startsWith("ce-pages")) await caches.delete(name);
  }
  document.getElementById("select-all")?.addEventListener("change", (e) => {
    for (const box of document.querySelectorAll('input[name="record_id"]')) box.checked = e.target.checked;
  });
  document.getElementById("logout")?.addEventListener("click", async () => {
    // Pages of this account must not open for the next one on this device (the outbox stays, by owner).
    for (const name of await caches.keys()) if (name.startsWith("ce-pages")) await caches.delete(name);
  });
  await renderOutbox();
  if (await flush() && document.getElementById("outbox")) location.reload();
});

window.addEventListener("online", async () => {
  updateOnline();
  if (await flush() && document.getElementById("outbox")) location.reload();
});
window.addEventListener("offline", updateOnline);
setInterval(() => { flush().then((sent) => { if (sent && document.getElementById("outbox")) location.reload(); }); }, 30000);

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  let text = T.error;
  try {
    const problem = JSON.parse(xhr.responseText);
    text = problem.errors ? problem.errors.map((e) => `${labelOf(e.field)}：${inWords(e.message)}`).join("；")
      : (T.statuses[String(xhr.status)] || T.error);
  } catch { /* not a problem document */ }
  showFlash(text, "error");
});
document.addEventListener("htmx:sendError", () => showFlash(T.network_error, "error"));

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" });
