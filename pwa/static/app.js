// The page script: the offline outbox (IndexedDB), sending records with a client-made key, photos shrunk before
// upload, errors at each field, small helpers.
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

// The certificate goes up with XMLHttpRequest, as fetch cannot tell how much of a body was sent: the form shows
// a real progress bar. A network failure or timeout counts as offline, as for every other call.
function uploadEvidence(file, token, onProgress, maxBytes) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file, file.name || "certificate");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/me/evidence");
    xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.timeout = UPLOAD_TIMEOUT_MS;
    if (onProgress) {
      xhr.upload.onprogress = (e) => { if (e.lengthComputable && e.total) onProgress(e.loaded / e.total); };
    }
    xhr.onerror = xhr.ontimeout = xhr.onabort = () => reject(new Offline("upload failed"));
    xhr.onload = () => {
      if (xhr.status === 0 || xhr.status >= 500) { reject(new Offline(`HTTP ${xhr.status}`)); return; }
      let body = {};
      try {
        if ((xhr.getResponseHeader("content-type") || "").includes("json")) body = JSON.parse(xhr.responseText);
      } catch { /* not a problem document */ }
      if (xhr.status >= 200 && xhr.status < 300) { resolve(body.evidence_ref); return; }
      if (xhr.status === 413) {   // the limit as the page knows it, else as the server gives it
        const limit = maxBytes || Number(body.errors?.[0]?.params?.max_bytes) || 0;
        body.errors = [{ field: "certificate", text: tooLarge(file.size, limit) }];
      } else if (!body.errors && xhr.status !== 401) {
        body.errors = [{ field: "certificate", text: T.statuses[String(xhr.status)] || T.error }];
      }
      reject(new Refused(xhr.status, body));
    };
    xhr.send(form);
  });
}

const megabytes = (bytes) => (bytes / 1024 / 1024).toFixed(1);
// A file's size as people read it: "0.9 MB", "35 KB".
const sizeText = (bytes) => (bytes >= 100 * 1024 ? `${megabytes(bytes)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

// Said by the device before sending, and when the server answers 413: the file's size and the limit.
function tooLarge(size, maxBytes) {
  if (!maxBytes) return T.evidence_too_large_nomax.replace("{size}", megabytes(size));
  const max = Number((maxBytes / 1024 / 1024).toFixed(1));
  return T.evidence_too_large.replace("{size}", megabytes(size)).replace("{max}", String(max));
}

// ---- photos are shrunk on the device: a 100-megapixel camera's 12 MB becomes about 1 MB ----

const PHOTO_EDGE = 2000;          // the long side, in pixels: a certificate stays readable
const PHOTO_QUALITY = 0.85;
const SMALL_PHOTO_BYTES = 1024 * 1024;   // a photo already this small and no larger than PHOTO_EDGE is sent as it is

const isPdf = (file) => file.type === "application/pdf" || /\.pdf$/i.test(file.name || "");

// The photo decoded and turned upright by its EXIF orientation; null when this browser cannot read it.
async function decodePhoto(file) {
  if (typeof createImageBitmap === "function") {
    try { return await createImageBitmap(file, { imageOrientation: "from-image" }); } catch { /* try below */ }
    try { return await createImageBitmap(file); } catch { /* an older browser, or not a photo it reads */ }
  }
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.src = url;
  try {
    await img.decode();   // an <img> follows the EXIF orientation, as CSS image-orientation does by default
    return img;
  } catch {
    return null;
  } finally {
    URL.revokeObjectURL(url);
  }
}

// A photo as it should be sent: upright, at most PHOTO_EDGE pixels on its long side, JPEG. PDFs, and what
// cannot be decoded here, are sent as they are (the server says whether it takes them).
async function preparePhoto(file) {
  if (!file || isPdf(file)) return file;
  const source = await decodePhoto(file);
  if (!source) return file;
  try {
    const width = source.naturalWidth || source.width;
    const height = source.naturalHeight || source.height;
    const scale = Math.min(1, PHOTO_EDGE / Math.max(width, height));
    const plain = /^image\/(jpeg|png)$/.test(file.type);
    if (scale === 1 && plain && file.size <= SMALL_PHOTO_BYTES) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";   // a transparent PNG becomes white, not black
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingQuality = "high";
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", PHOTO_QUALITY));
    canvas.width = canvas.height = 0;   // phones keep little memory for canvases: give it back now
    if (!blob || (scale === 1 && plain && blob.size >= file.size)) return file;
    const name = (file.name || "certificate").replace(/\.[^.]*$/, "") + ".jpg";
    return new File([blob], name, { type: "image/jpeg", lastModified: Date.now() });
  } catch {
    return file;
  } finally {
    source.close?.();
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
async function sendItem(item, token, onProgress) {
  if (item.file && !item.fields.evidence_ref) {
    item.fields.evidence_ref = await uploadEvidence(item.file, token, onProgress, item.maxBytes);
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
// Items the form on this page is sending itself, or has open to fix: the background sync leaves them alone.
const sending = new Set();
const onForm = () => document.getElementById("record-form")?.dataset.fixKey;

// Send everything waiting; how many were sent and how many the server refused.
async function flush() {
  const done = { sent: 0, failed: 0 };
  if (flushing || !USER || !navigator.onLine) return done;
  flushing = true;
  try {
    const items = (await myItems()).filter((i) => !i.error && !sending.has(i.key) && i.key !== onForm());
    if (!items.length) return done;
    let token;
    try {
      token = await csrf();
    } catch (e) {
      if (e instanceof Refused) showFlash(T.outbox_sign_in, "error");
      return done;
    }
    for (const item of items) {
      try {
        await sendItem(item, token);
        done.sent += 1;
      } catch (e) {
        if (e instanceof Offline) break;
        if (e instanceof Refused && e.status === 401) { showFlash(T.outbox_sign_in, "error"); break; }
        item.error = describe(e);   // kept, with the reason, until the owner fixes or removes it
        item.problem = e.problem?.errors;   // to say each error at its field when the form fixes it
        await putItem(item);
        done.failed += 1;
      }
    }
  } finally {
    flushing = false;
    await renderOutbox();
  }
  return done;
}

// Sync in the background and say what happened: how many were sent, how many were refused (to look at).
async function sync() {
  const { sent, failed } = await flush();
  if (!sent && !failed) return;
  const parts = [];
  if (sent) parts.push(T.synced_n.replace("{n}", sent));
  if (failed) parts.push(T.sync_failed_n.replace("{n}", failed));
  const text = parts.join("；");
  const kind = failed ? "error" : "ok";
  const home = document.getElementById("outbox");
  if (sent && home) {   // home's year cards count the sent hours after a reload: the message waits for it
    sessionStorage.setItem("flash", text);
    sessionStorage.setItem("flash-kind", kind);
    location.reload();
    return;
  }
  showFlash(text, kind, failed && !home ? "/#outbox" : null);
}

// ---- showing things ----

// API field names that the form shows under another input.
const FIELD_INPUT = { year: "completed_on", evidence: "certificate", evidence_ref: "certificate", file: "certificate" };

function labelOf(field) {
  const name = FIELD_INPUT[field] || field;
  const label = document.querySelector(`label[for="${CSS.escape(name)}"]`)
    || document.querySelector(`[name="${CSS.escape(name)}"]`)?.closest("fieldset")?.querySelector("legend");
  // A label's note in brackets ("（选填）", "（建议上传…）") is left out where the field is named in a message.
  return label ? label.textContent.trim().replace(/（[^（]*）$/, "") : (T.fields[field] || field);
}

// The API speaks English to machines; say its field messages in the page's words where we know them.
function inWords(message) {
  for (const [pattern, text] of T.messages) {
    const re = new RegExp(pattern);
    if (re.test(message)) return message.replace(re, text);
  }
  return message;
}

// A field error in the page's words: by its code from the catalogue (T.codes, with its parameters put in) when
// both are there, else the English message matched by inWords; `text` is one this script wrote itself.
function fieldMessage(e) {
  if (e.text) return e.text;
  const pattern = e.code && T.codes ? T.codes[e.code] : undefined;
  if (pattern) {
    const params = e.params || {};
    return pattern.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
  }
  return inWords(e.message || "");
}

const sayFieldError = (e) => `${labelOf(e.field)}：${fieldMessage(e)}`;

function describe(error) {
  if (error instanceof Refused && error.problem.errors) return error.problem.errors.map(sayFieldError).join("；");
  if (error instanceof Refused) return T.statuses[String(error.status)] || T.error;
  return error.message || T.error;
}

function showFlash(text, kind = "ok", href = null) {
  const flash = document.getElementById("flash");
  if (!flash) return;
  flash.replaceChildren();
  const p = document.createElement("p");
  p.className = kind;
  if (href) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    p.append(a);
  } else {
    p.textContent = text;
  }
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

// ---- errors on the form: all of them at the top, and each below its own field ----

// Where a field's error is said: under its input, or for the category under the fieldset of its choices.
function fieldElement(form, field) {
  return form.querySelector(`#${CSS.escape(FIELD_INPUT[field] || field)}`);
}

const describedBy = (el) => (el.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
const invalidMarks = (target) => (target.tagName === "FIELDSET" ? target.querySelectorAll("input") : [target]);

function clearFieldError(target) {
  const id = `${target.id}-error`;
  const note = document.getElementById(id);
  if (!note) return;
  note.remove();
  for (const el of invalidMarks(target)) el.removeAttribute("aria-invalid");
  const ids = describedBy(target).filter((x) => x !== id);
  if (ids.length) target.setAttribute("aria-describedby", ids.join(" "));
  else target.removeAttribute("aria-describedby");
}

function clearFormErrors(form) {
  for (const note of [...form.querySelectorAll(".field-error")]) {
    const target = document.getElementById(note.id.replace(/-error$/, ""));
    if (target) clearFieldError(target); else note.remove();
  }
  const box = form.querySelector("#form-errors");
  box.replaceChildren();
  box.hidden = true;
}

// Say one error under its field; the field's element, or null when the form has no such field.
function markField(form, field, text) {
  const target = fieldElement(form, field);
  if (!target) return null;
  const id = `${target.id}-error`;
  let note = document.getElementById(id);
  if (note) {
    note.textContent += `；${text}`;
    return target;
  }
  note = document.createElement("p");
  note.id = id;
  note.className = "field-error";
  note.textContent = text;
  if (target.tagName === "FIELDSET") target.append(note); else (target.closest(".file-pick") || target).after(note);
  for (const el of invalidMarks(target)) el.setAttribute("aria-invalid", "true");
  target.setAttribute("aria-describedby", [id, ...describedBy(target)].join(" "));
  return target;
}

function showFormErrors(form, error) {
  clearFormErrors(form);
  const box = form.querySelector("#form-errors");
  const errors = error instanceof Refused && error.problem.errors ? error.problem.errors : null;
  if (errors) {
    const head = document.createElement("p");
    head.textContent = T.field_errors;
    const list = document.createElement("ul");
    for (const e of errors) {
      const li = document.createElement("li");
      const target = markField(form, e.field, fieldMessage(e));
      if (target) {
        // A link to the field, which takes the focus there (and leaves the address and history alone).
        const link = document.createElement("a");
        link.href = `#${target.id}`;
        link.textContent = sayFieldError(e);
        link.addEventListener("click", (event) => {
          event.preventDefault();
          (target.tagName === "FIELDSET" ? target.querySelector("input") : target).focus();
        });
        li.append(link);
      } else {
        li.textContent = sayFieldError(e);
      }
      list.append(li);
    }
    box.append(head, list);
  } else {
    const p = document.createElement("p");
    p.textContent = describe(error);
    box.append(p);
  }
  box.hidden = false;
  box.focus({ preventScroll: true });
  box.scrollIntoView({ block: "center" });
}

// ---- the form to add or fix a record ----

// The outbox item being fixed on the form: it stays in the outbox until its corrected copy is kept.
const FIX_KEY = "fix-outbox-item";

// The outbox item the form is fixing, if any; and forgetting it once its corrected copy is kept.
async function itemBeingFixed(form) {
  return form.dataset.fixKey ? (await myItems()).find((i) => i.key === form.dataset.fixKey) : null;
}

async function forgetFixed(form, fixing, keep = null) {
  if (!fixing) return;
  if (fixing.key !== keep) await deleteItem(fixing.key);
  delete form.dataset.fixKey;
  sessionStorage.removeItem(FIX_KEY);
}

// One client_key per form instance, kept in its history entry: Back, a reload or a second tap on the same
// form send the same key, and the server answers with the record the first one made.
function formKey() {
  return history.state?.formKey || setFormKey(newKey());
}

function setFormKey(key) {
  history.replaceState({ ...(history.state || {}), formKey: key, saved: false }, "");
  return key;
}

const maxEvidenceBytes = (form) => Math.round(Number(form.dataset.maxEvidenceMb || 0) * 1024 * 1024);

function showCertificateState(form, text) {
  const state = form.querySelector("#certificate-state");
  if (state) state.textContent = text;
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
  form.course_title?.dispatchEvent(new Event("input"));
  if (item.file) {
    showCertificateState(form, T.certificate_restored.replace("{name}", item.file.name || "")
      .replace("{size}", sizeText(item.file.size)));
  }
  if (item.parked) {   // kept when the session ended: the same record, so the same key
    const note = document.createElement("p");
    note.id = "form-restored";
    note.className = "notice";
    note.setAttribute("role", "status");
    note.textContent = T.form_restored;
    form.querySelector("#form-errors").after(note);
    if (!item.recordId) setFormKey(item.key);
    return;
  }
  if (item.error) showFormErrors(form, item.problem ? new Refused(422, { errors: item.problem }) : new Error(item.error));
}

function readForm(form) {
  const data = new FormData(form);
  const text = (name) => (typeof data.get(name) === "string" ? data.get(name).trim() : "");
  const completed = text("completed_on");
  const fields = {
    year: Number(completed.slice(0, 4)), category: text("category"), hours: Number(text("hours")),
    course_title: text("course_title"), completed_on: completed, provider: text("provider"),
  };
  if (text("course_code")) fields.course_code = text("course_code");
  return fields;
}

// The certificate chosen on the form, shrunk: once per choice, started as soon as it is chosen.
function chosenFile(form) {
  const file = form.certificate?.files?.[0] || null;
  if (!file) return Promise.resolve(null);
  if (form.preparing?.of !== file) form.preparing = { of: file, done: preparePhoto(file) };
  return form.preparing.done;
}

async function onCertificateChosen(form) {
  const input = form.certificate;
  clearFieldError(input);
  const file = input.files?.[0];
  if (!file) { showCertificateState(form, ""); return; }
  if (!isPdf(file)) showCertificateState(form, T.shrinking);
  const ready = await chosenFile(form);
  if (input.files?.[0] !== file) return;   // another file was chosen meanwhile
  const max = maxEvidenceBytes(form);
  if (max && ready.size > max) {
    showCertificateState(form, "");
    markField(form, "certificate", tooLarge(ready.size, max));
    return;
  }
  showCertificateState(form, ready !== file
    ? T.shrunk.replace("{from}", sizeText(file.size)).replace("{to}", sizeText(ready.size))
    : T.photo_ready.replace("{name}", file.name).replace("{size}", sizeText(file.size)));
}

function showUpload(form, fraction) {
  const box = form.querySelector("#upload");
  if (!box) return;
  box.hidden = fraction === null;
  if (fraction === null) return;
  const percent = Math.min(100, Math.floor(fraction * 100));
  box.querySelector("progress").value = percent;
  box.querySelector("#upload-text").textContent = T.certificate_uploading.replace("{percent}", percent);
}

// The browser's own messages follow its language, not the page's: say it in the page's words.
function whyInvalid(input) {
  const v = input.validity;
  if (v.valueMissing) return input.type === "radio" ? T.choose_one : T.value_missing;
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
    const field = input.type === "radio" ? input.name : input.id;
    if (!input.checkValidity() && !errors.some((e) => e.field === field)) errors.push({ field, text: whyInvalid(input) });
  }
  return errors.length ? new Refused(422, { errors }) : null;
}

async function onRecordForm(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button[type=submit]");
  if (button.disabled) return;
  const invalid = checkForm(form);
  if (invalid) { showFormErrors(form, invalid); return; }
  button.disabled = true;
  const label = button.textContent;
  try {
    if (form.certificate?.files?.length) button.textContent = T.shrinking;
    const file = await chosenFile(form);
    const fields = readForm(form);
    const fixing = await itemBeingFixed(form);
    const max = maxEvidenceBytes(form);
    if (file && max && file.size > max) {
      showFormErrors(form, new Refused(413, { errors: [{ field: "certificate", text: tooLarge(file.size, max) }] }));
      return;
    }
    // A returned record sent back unchanged would only be returned again.
    if (form.dataset.status === "returned" && !file && !fixing && JSON.stringify(fields) === form.dataset.baseline) {
      showFormErrors(form, new Error(T.unchanged_return));
      return;
    }
    button.textContent = T.saving;
    clearFormErrors(form);
    if (form.dataset.recordId) await saveEdit(form, fields, file, fixing);
    else await saveNew(form, fields, file, fixing);
  } catch (e) {
    showFormErrors(form, e);
  } finally {
    button.disabled = false;
    button.textContent = label;
    showUpload(form, null);
  }
}

async function saveNew(form, fields, file, fixing) {
  // A refused item fixed here gets a new key: the server may hold a draft under the old one, made before it refused.
  const key = fixing?.error ? setFormKey(newKey()) : formKey();
  const item = { key, user: USER, fields, file: file || fixing?.file || null, maxBytes: maxEvidenceBytes(form),
                 createdAt: fixing?.createdAt || Date.now() };
  sending.add(key);
  try {
    await putItem(item);   // kept on the device before anything is sent
    await forgetFixed(form, fixing, key);
    if (!navigator.onLine) { leaveForm("/", T.saved_offline); return; }
    try {
      const record = await sendItem(item, await csrf(), (fraction) => showUpload(form, fraction));
      leaveForm(`/records/${record.id}`, T.synced);
    } catch (e) {
      if (e instanceof Offline) { leaveForm("/", T.saved_offline); return; }
      if (e instanceof Refused && e.status === 401) { await parkForSignIn(item); return; }
      if (fixing) {
        // Refused again: keep it on the device with the reason (its certificate may live only there).
        item.error = describe(e);
        item.problem = e.problem?.errors;
        await putItem(item);
        form.dataset.fixKey = item.key;
        sessionStorage.setItem(FIX_KEY, item.key);
      } else {
        await deleteItem(item.key);   // refused: the form still holds every value, to fix and send again
        setFormKey(newKey());   // the refused try may have left a draft under the old key
      }
      showFormErrors(form, e);
    }
  } finally {
    sending.delete(key);
  }
}

async function saveEdit(form, fields, file, fixing) {
  const recordId = form.dataset.recordId;
  const certificate = file || fixing?.file || null;
  try {
    const token = await csrf();
    const change = { ...fields };
    if (certificate) {
      change.evidence_ref = await uploadEvidence(certificate, token, (fraction) => showUpload(form, fraction),
        maxEvidenceBytes(form));
    }
    const edited = await jsonCall(`/api/v1/me/records/${recordId}`, "PATCH", token, change);
    await submitRecord(edited.body, token);
    await forgetFixed(form, fixing);
    leaveForm(`/records/${recordId}`, T.synced);
  } catch (e) {
    const signedOut = e instanceof Refused && e.status === 401;
    if (!(e instanceof Offline) && !signedOut) { showFormErrors(form, e); return; }
    // No connection, or no session: the fix waits on the device like a new record.
    const item = { key: newKey(), user: USER, recordId, fields, file: certificate, maxBytes: maxEvidenceBytes(form),
                   createdAt: fixing?.createdAt || Date.now() };
    await putItem(item);
    await forgetFixed(form, fixing);
    if (signedOut) await parkForSignIn(item);
    else leaveForm("/", T.saved_offline);
  }
}

// The session ended while the form was open: what was typed (and its photo) waits on the device, and after
// signing in again the browser comes back to this form, filled from it, to be sent once.
async function parkForSignIn(item) {
  item.parked = true;
  await putItem(item);
  sessionStorage.setItem(FIX_KEY, item.key);
  sessionStorage.setItem("flash", T.session_expired);
  sessionStorage.setItem("flash-kind", "error");
  location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
}

// Saved (or kept on the device): this history entry is replaced, so Back does not offer the filled form again.
function leaveForm(url, message) {
  history.replaceState({ ...(history.state || {}), saved: true }, "");
  sessionStorage.setItem("flash", message);
  location.replace(url);
}

// A form whose record was saved, shown again (from the back-forward cache): empty it, with a new key.
function forgetSavedForm(form) {
  if (!history.state?.saved) return;
  form.reset();
  clearFormErrors(form);
  showCertificateState(form, "");
  form.course_title?.dispatchEvent(new Event("input"));
  setFormKey(newKey());
}

// The course title keeps its 200-character limit, but says so as the limit nears, and says when a paste was cut.
function watchTitle(input) {
  const counter = document.getElementById(`${input.id}-count`);
  if (!counter) return;
  const max = input.maxLength;
  let cut = 0;
  const update = () => {
    const left = max - input.value.length;
    counter.classList.toggle("warn", cut > 0);
    counter.textContent = cut ? T.title_cut.replace("{max}", max).replace("{n}", cut) : T.title_left.replace("{n}", left);
    counter.hidden = !cut && left > 20;
  };
  const measure = (text) => {
    const room = max - (input.value.length - (input.selectionEnd - input.selectionStart));
    cut = Math.max(0, text.replace(/[\r\n]/g, "").length - room);
  };
  input.addEventListener("paste", (e) => measure(e.clipboardData?.getData("text") || ""));
  input.addEventListener("drop", (e) => measure(e.dataTransfer?.getData("text") || ""));
  input.addEventListener("input", (e) => {
    if (e.inputType !== "insertFromPaste" && e.inputType !== "insertFromDrop") cut = 0;
    update();
  });
  update();
}

async function setUpForm(form) {
  form.addEventListener("submit", onRecordForm);
  form.dataset.baseline = JSON.stringify(readForm(form));
  form.certificate?.addEventListener("change", () => onCertificateChosen(form));
  const edited = (e) => {
    const target = e.target.closest("fieldset") || e.target;
    if (target !== form.certificate && target.id) clearFieldError(target);
  };
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  if (form.course_title) watchTitle(form.course_title);
  forgetSavedForm(form);
  formKey();
  await loadItemToFix(form);
}

// ---- wiring ----

function updateOnline() {
  const banner = document.getElementById("offline-banner");
  if (banner) banner.hidden = navigator.onLine;
}

document.addEventListener("DOMContentLoaded", async () => {
  updateOnline();
  const message = sessionStorage.getItem("flash");
  if (message) {
    const kind = sessionStorage.getItem("flash-kind") || "ok";
    sessionStorage.removeItem("flash");
    sessionStorage.removeItem("flash-kind");
    showFlash(message, kind);
  }
  const recordForm = document.getElementById("record-form");
  if (recordForm) await setUpForm(recordForm);
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
  await sync();
});

window.addEventListener("pageshow", (event) => {
  const recordForm = document.getElementById("record-form");
  if (event.persisted && recordForm) forgetSavedForm(recordForm);
});
window.addEventListener("online", async () => {
  updateOnline();
  await sync();
});
window.addEventListener("offline", updateOnline);
setInterval(sync, 30000);

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  let text = T.error;
  try {
    const problem = JSON.parse(xhr.responseText);
    text = problem.errors ? problem.errors.map(sayFieldError).join("；") : (T.statuses[String(xhr.status)] || T.error);
  } catch { /* not a problem document */ }
  showFlash(text, "error");
});
document.addEventListener("htmx:sendError", () => showFlash(T.network_error, "error"));

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" });
