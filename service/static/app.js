// sangkien web UI: uploads through the JSON API with a progress indicator, job polling,
// jumping between matched passages and printing. No inline scripts (strict CSP).
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
const GENERIC_ERROR = "Không kết nối được với máy chủ. Vui lòng kiểm tra mạng và thử lại.";

async function api(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { "X-CSRF-Token": csrf(), Accept: "application/json", ...(options.headers || {}) },
  });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    throw new Error((body && body.error && body.error.message) || GENERIC_ERROR);
  }
  return body;
}

function show(el, visible) { if (el) el.classList.toggle("hidden", !visible); }
function setText(el, text) { if (el) el.textContent = text; }

function uploadForm(form, onDone) {
  const progress = document.getElementById("progress");
  const errorBox = document.getElementById("form-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    show(errorBox, false);
    show(progress, true);
    try {
      const result = await api(form.dataset.upload, { method: "POST", body: new FormData(form) });
      await onDone(result);
    } catch (err) {
      show(progress, false);
      setText(errorBox, err.message || GENERIC_ERROR);
      show(errorBox, true);
      button.disabled = false;
    }
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The file input covers its drop zone (transparent), so clicking and dropping both reach it natively;
// this only shows which file was chosen, in Vietnamese whatever the browser's language.
function initDropzones() {
  document.querySelectorAll(".dropzone").forEach((zone) => {
    const input = zone.querySelector("input[type=file]");
    const name = zone.querySelector(".dropzone-name");
    const update = () => {
      const files = Array.from(input.files || []).map((f) => f.name);
      setText(name, files.length ? files.join(", ") : name.dataset.empty);
      zone.classList.toggle("chosen", files.length > 0);
    };
    input.addEventListener("change", update);
    input.addEventListener("dragenter", () => zone.classList.add("dragover"));
    ["dragleave", "drop"].forEach((type) => input.addEventListener(type, () => zone.classList.remove("dragover")));
    input.form.addEventListener("reset", () => setTimeout(update));
  });
}

function initCheck() {
  const form = document.getElementById("check-form");
  if (form) uploadForm(form, (result) => { window.location.href = form.dataset.result + result.report_id; });
  const roundForm = document.getElementById("round-form");
  if (roundForm) uploadForm(roundForm, (result) => { window.location.href = roundForm.dataset.result + result.id; });
}

function initImport() {
  const form = document.getElementById("import-form");
  if (!form) return;
  const text = document.querySelector("#progress .progress-text");
  const bar = document.getElementById("progress-bar");
  const table = document.getElementById("import-results");
  uploadForm(form, async (started) => {
    let job = { status: "running", done: 0, total: started.total, results: [] };
    while (job.status === "running") {
      setText(text, `Đã xử lý ${job.done}/${job.total} tệp…`);
      bar.max = job.total || 1;
      bar.value = job.done;
      await sleep(1000);
      job = await api(form.dataset.poll + started.id);
    }
    setText(text, `Hoàn tất: đã xử lý ${job.done}/${job.total} tệp.`);
    bar.value = job.done;
    document.querySelector("#progress .spinner").classList.add("hidden");
    const tbody = table.querySelector("tbody");
    tbody.replaceChildren();
    for (const r of job.results) {
      const row = tbody.insertRow();
      row.insertCell().textContent = r.filename;
      const titleCell = row.insertCell();
      if (r.doc_id) {
        const link = document.createElement("a");
        link.href = "/documents/" + encodeURIComponent(r.doc_id);
        link.textContent = r.title;
        titleCell.append(link);
      } else {
        titleCell.textContent = r.title;
      }
      row.insertCell().textContent = r.error ? "Lỗi: " + r.error : (r.created ? "Đã thêm vào kho" : "Đã có trong kho, bỏ qua");
    }
    show(table, true);
    form.reset();
    form.querySelector("button[type=submit]").disabled = false;
  });
}

function initRoundProgress() {
  const box = document.getElementById("round-progress");
  if (!box) return;
  const bar = box.querySelector("progress");
  const poll = async () => {
    try {
      const round = await api(box.dataset.poll);
      bar.max = round.total || 1;
      bar.value = round.done;
      if (round.status === "done" || round.status === "failed") { window.location.reload(); return; }
    } catch (err) { /* a missed poll is retried below */ }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 1500);
}

function initMatchNav() {
  const matches = Array.from(document.querySelectorAll(".match"));
  const pos = document.getElementById("match-pos");
  if (!matches.length || !pos) return;
  let current = -1;
  const go = (delta) => {
    if (current >= 0) matches[current].classList.remove("current");
    current = (current + delta + matches.length) % matches.length;
    const el = matches[current];
    el.classList.add("current");
    el.scrollIntoView({ behavior: "smooth", block: "center" });
    el.focus({ preventScroll: true });
    pos.textContent = `${current + 1}/${matches.length}`;
  };
  pos.textContent = `0/${matches.length}`;
  document.querySelector('[data-action="next-match"]').addEventListener("click", () => go(1));
  document.querySelector('[data-action="prev-match"]').addEventListener("click", () => go(-1));
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) return;
    if (event.key === "n" || event.key === "j") go(1);
    if (event.key === "p" || event.key === "k") go(-1);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll('[data-action="print"]').forEach((b) => b.addEventListener("click", () => window.print()));
  initDropzones();
  initCheck();
  initImport();
  initRoundProgress();
  initMatchNav();
});
