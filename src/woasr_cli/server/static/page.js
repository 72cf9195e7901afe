/* woasr web page: upload, job list with live progress, player with subtitles, downloads,
   live captions from the microphone.
   Plain JavaScript, no build step. Every URL is relative, so the page also works behind a
   reverse proxy under a sub-path. */
"use strict";

const API = {
  health: "health",
  providers: "api/v1/transcribe/providers",
  upload: "api/v1/upload",
  transcribe: "api/v1/transcribe",
  jobs: "api/v1/transcribe/jobs",
  job: (id) => `api/v1/transcribe/jobs/${encodeURIComponent(id)}`,
  events: (id) => `api/v1/transcribe/jobs/${encodeURIComponent(id)}/events`,
  results: (id) => `api/v1/results/${encodeURIComponent(id)}`,
  result: (id, fmt, fileId) =>
    `api/v1/results/${encodeURIComponent(id)}/${fmt}` +
    (fileId ? `?file_id=${encodeURIComponent(fileId)}` : ""),
};
const FINAL = new Set(["completed", "failed", "cancelled"]);
const KEY_STORE = "woasr.apiKey";
const JOBS_STORE = "woasr.jobs";
const COLORS = ["#2f5bd3", "#c2410c", "#15803d", "#a21caf", "#0e7490", "#b45309", "#be123c"];

const $ = (sel) => document.querySelector(sel);
const state = {
  chosen: [],            // File objects waiting for upload
  jobs: new Map(),       // job_id -> job record (server fields + names, media)
  following: new Set(),  // job ids with a live event stream or poll loop
  selected: null,        // job id in the viewer
  media: new Map(),      // job_id -> [{name, url, type}] object URLs of files uploaded here
  blobs: [],             // object URLs of the viewer, revoked when it changes
};

/* ---- HTTP ---------------------------------------------------------------------------- */

function apiKey() { return sessionStorage.getItem(KEY_STORE) || ""; }

function headers(extra = {}) {
  const key = apiKey();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function call(url, options = {}) {
  const response = await fetch(url, { ...options, headers: headers(options.headers || {}) });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (typeof body.detail === "string") detail = body.detail;
      else if (Array.isArray(body.detail)) {
        detail = body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
      } else if (body.error && body.error.message) detail = body.error.message;
    } catch (_) { /* not JSON */ }
    if (response.status === 401) {
      detail = apiKey() ? "the server refused this API key" : "this server needs an API key: enter it above";
    }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response;
}

const getJSON = async (url) => (await call(url, { headers: { Accept: "application/json" } })).json();

/* ---- server state -------------------------------------------------------------------- */

async function checkHealth() {
  const badge = $("#health");
  try {
    const response = await fetch(API.health);
    const body = await response.json();
    badge.textContent = `server ${body.status || "up"}`;
    badge.className = "badge " + (body.status === "healthy" ? "ok" : "bad");
  } catch (_) {
    badge.textContent = "server unreachable";
    badge.className = "badge bad";
  }
}

async function loadProviders() {
  let info;
  try { info = await getJSON(API.providers); } catch (err) { showFormError(err); return; }
  showFormError(null);
  const select = $("#provider");
  const providers = info.providers || {};
  const names = Object.keys(providers).filter((name) => providers[name]);
  if (names.length) {
    select.replaceChildren(...names.map((name) => new Option(name, name)));
    select.value = names.includes("faster_whisper") ? "faster_whisper" : names[0];
  }
  const models = info.models || {};
  const defaults = info.default_models || {};
  const fillModels = () => {
    const list = models[select.value] || [];
    $("#models").replaceChildren(...list.map((m) => new Option(m, m)));
    // the model a job without one gets (the server's --model); a model typed in is kept
    const input = $("#model");
    const wanted = defaults[select.value] || list[0] || "";
    if (!input.value.trim() || input.value === input.dataset.filled) input.value = wanted;
    input.dataset.filled = wanted;
  };
  select.addEventListener("change", fillModels);
  fillModels();
  const languages = (info.languages || []).filter((code) => code !== "auto");
  if (languages.length) {
    $("#language").replaceChildren(new Option("detect", "auto"),
      ...languages.map((code) => new Option(code, code)));
  }
}

/* ---- choosing and uploading files ---------------------------------------------------- */

function showFormError(err) { $("#form-msg").textContent = err ? String(err.message || err) : ""; }

function choose(files) {
  for (const file of files) {
    if (!state.chosen.some((f) => f.name === file.name && f.size === file.size)) {
      state.chosen.push(file);
    }
  }
  renderChosen();
}

function renderChosen() {
  const list = $("#chosen");
  list.replaceChildren(...state.chosen.map((file, index) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = `${file.name} (${(file.size / 1048576).toFixed(1)} MB)`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${file.name}`);
    remove.addEventListener("click", () => { state.chosen.splice(index, 1); renderChosen(); });
    item.append(name, remove);
    return item;
  }));
  $("#start").disabled = state.chosen.length === 0;
}

function setupDrop() {
  const drop = $("#drop");
  const input = $("#files");
  input.addEventListener("change", () => { choose(input.files); input.value = ""; });
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    drop.addEventListener(type, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (e) => { e.preventDefault(); choose(e.dataTransfer.files); });
}

function requestBody(fileIds) {
  const formats = [...document.querySelectorAll("input[name=fmt]:checked")].map((c) => c.value);
  if (!formats.length) throw new Error("choose at least one format");
  const diarize = $("#diarize").checked;
  return {
    file_ids: fileIds,
    model_type: $("#provider").value,
    model_size: $("#model").value.trim() || undefined,
    language: $("#language").value,
    diarization: { enabled: diarize },
    output_formats: formats,
  };
}

async function submit(event) {
  event.preventDefault();
  showFormError(null);
  if (!state.chosen.length) return;
  const button = $("#start");
  button.disabled = true;
  button.textContent = "Uploading…";
  try {
    const files = state.chosen.slice();
    const body = requestBody([]);
    const form = new FormData();
    for (const file of files) form.append("files", file, file.name);
    const uploaded = await (await call(API.upload, { method: "POST", body: form })).json();
    body.file_ids = uploaded.file_ids;
    const created = await (await call(API.transcribe, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })).json();
    const id = created.job_id;
    state.media.set(id, files.map((f) => ({ name: f.name, url: URL.createObjectURL(f), type: f.type })));
    upsertJob({ job_id: id, status: created.status || "queued", progress: 0,
                filenames: files.map((f) => f.name), total_files: files.length });
    rememberJob(id, files.map((f) => f.name));
    state.chosen = [];
    renderChosen();
    state.selected = id;
    follow(id);
  } catch (err) {
    showFormError(err);
  } finally {
    button.textContent = "Transcribe";
    button.disabled = state.chosen.length === 0;
  }
}

/* ---- jobs ---------------------------------------------------------------------------- */

function rememberJob(id, names) {
  const known = JSON.parse(sessionStorage.getItem(JOBS_STORE) || "{}");
  known[id] = names;
  sessionStorage.setItem(JOBS_STORE, JSON.stringify(known));
}

function jobNames(job) {
  const known = JSON.parse(sessionStorage.getItem(JOBS_STORE) || "{}");
  const names = job.filenames || (job.files || []).map((f) => f.filename || f.name) || [];
  if (names.length) return names;
  return known[job.job_id] || [];
}

function upsertJob(update) {
  const id = update.job_id || update.id;
  if (!id) return;
  // One object per job, updated in place: loaders holding it see every later update.
  const before = state.jobs.get(id);
  const was = before && before.status;
  const job = Object.assign(before || {}, update, { job_id: id });
  state.jobs.set(id, job);
  if (was && was !== job.status) {  // state changes only, not every progress step
    const names = jobNames(job);
    $("#announce").textContent = `${names.length ? names.join(", ") : "job"}: ${job.status}`;
  }
  renderJobs();
  if (job.status === "completed" && !job.results) loadResults(id);
}

async function refreshJobs() {
  try {
    const body = await getJSON(API.jobs);
    const list = Array.isArray(body) ? body : body.jobs || [];
    for (const job of list) {
      upsertJob(job);
      if (!FINAL.has(job.status)) follow(job.job_id || job.id);
    }
  } catch (_) {
    // No job list on this server (or no key yet): show the jobs started from this tab.
    const known = JSON.parse(sessionStorage.getItem(JOBS_STORE) || "{}");
    for (const id of Object.keys(known)) {
      try { const job = await getJSON(API.job(id)); upsertJob(job); if (!FINAL.has(job.status)) follow(id); }
      catch (_) { /* gone */ }
    }
  }
}

function follow(id) {
  if (state.following.has(id)) return;
  state.following.add(id);
  streamEvents(id).catch(() => poll(id)).finally(() => state.following.delete(id));
}

/* Server-Sent Events read with fetch (EventSource cannot send the Authorization header). */
async function streamEvents(id) {
  const response = await call(API.events(id), { headers: { Accept: "text/event-stream" } });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart()).join("\n");
      if (!data) continue;
      let payload;
      try { payload = JSON.parse(data); } catch (_) { continue; }
      const { type, message, timestamp, ...job } = payload;
      upsertJob({ ...job, job_id: job.job_id || id });
      if (FINAL.has(job.status)) { reader.cancel(); break; }
    }
  }
  // One full read at the end: the error of a failed job, per-file states, timestamps.
  const job = await getJSON(API.job(id));
  upsertJob(job);
  if (!FINAL.has(job.status)) throw new Error("stream ended early");
}

async function poll(id) {
  for (;;) {
    try {
      const job = await getJSON(API.job(id));
      upsertJob(job);
      if (FINAL.has(job.status)) return;
    } catch (err) {
      if (err.status === 404) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function cancel(id) {
  try {
    await call(API.job(id), { method: "DELETE" });
    upsertJob(await getJSON(API.job(id)));
  } catch (err) { showFormError(err); }
}

async function loadResults(id) {
  const job = state.jobs.get(id);
  job.results = [];
  try {
    job.results = (await getJSON(API.results(id))).results || [];
  } catch (err) { job.resultsError = err.message; }
  renderJobs();
  if (state.selected === id) openViewer(id);  // the job started here; others open on request
}

function renderJobs() {
  const jobs = [...state.jobs.values()].sort((a, b) =>
    String(b.created_at || "").localeCompare(String(a.created_at || "")));
  $("#jobs-empty").hidden = jobs.length > 0;
  // Rebuilt on every event: keep the keyboard focus on the same button of the same job.
  const focused = document.activeElement;
  const holder = focused && focused.closest && focused.closest("li.job");
  const again = holder ? [holder.dataset.jobId, focused.textContent] : null;
  $("#jobs").replaceChildren(...jobs.map(renderJob));
  if (again) {
    const item = [...document.querySelectorAll("li.job")].find((li) => li.dataset.jobId === again[0]);
    const button = item && [...item.querySelectorAll("button")].find((b) => b.textContent === again[1]);
    if (button) button.focus();
  }
}

function renderJob(job) {
  const item = document.createElement("li");
  item.className = "job" + (job.job_id === state.selected ? " selected" : "");
  item.dataset.jobId = job.job_id;
  item.dataset.status = job.status;
  const names = jobNames(job);
  const head = document.createElement("div");
  head.className = "job-head";
  const name = document.createElement("span");
  name.className = "job-name";
  name.textContent = names.length ? names.join(", ") : `job ${job.job_id.slice(0, 8)}`;
  const badge = document.createElement("span");
  badge.className = `state ${job.status}`;
  badge.textContent = job.status;
  head.append(name, badge);

  const progress = document.createElement("progress");
  progress.max = 100;
  progress.value = Number(job.progress || 0);
  progress.setAttribute("aria-label", `${name.textContent}: ${Math.round(progress.value)}% done`);

  const info = document.createElement("p");
  info.className = "job-info";
  const parts = [`${Math.round(progress.value)}%`];
  if (job.total_seconds) parts.push(`${seconds(job.done_seconds || 0)} of ${seconds(job.total_seconds)}`);
  if (job.total_files > 1) parts.push(`${job.total_files} files`);
  if (job.current_file && job.status === "processing") parts.push(`now: ${job.current_file}`);
  if (job.model_size || job.model_type) parts.push([job.model_type, job.model_size].filter(Boolean).join(" "));
  info.textContent = parts.join(" · ");
  item.append(head, progress, info);
  if ((job.files || []).length > 1) {
    const files = document.createElement("ul");
    files.className = "job-files";
    files.append(...job.files.map((f) => {
      const line = document.createElement("li");
      line.textContent = `${f.filename}: ${f.status}` +
        (f.status === "running" || f.status === "processing" ? ` ${f.progress}%` : "") +
        (f.error ? ` (${f.error})` : "");
      return line;
    }));
    item.append(files);
  }
  if (job.error || job.resultsError) {
    const error = document.createElement("p");
    error.className = "job-error";
    error.textContent = job.error || job.resultsError;
    item.append(error);
  }
  const actions = document.createElement("div");
  actions.className = "job-actions";
  if (job.status === "completed") {
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "Show transcript";
    open.addEventListener("click", () => openViewer(job.job_id));
    actions.append(open);
  }
  if (!FINAL.has(job.status)) {
    const stop = document.createElement("button");
    stop.type = "button";
    stop.textContent = "Cancel";
    stop.addEventListener("click", () => cancel(job.job_id));
    actions.append(stop);
  }
  if (actions.childElementCount) item.append(actions);
  return item;
}

/* ---- viewer -------------------------------------------------------------------------- */

async function blobURL(url) {
  const blob = await (await call(url)).blob();
  const href = URL.createObjectURL(blob);
  state.blobs.push(href);
  return href;
}

function openViewer(id) {
  const job = state.jobs.get(id);
  if (!job || !job.results) return;
  state.selected = id;
  renderJobs();
  const select = $("#viewer-file");
  select.replaceChildren(...job.results.map((r, i) =>
    new Option(r.filename || `file ${i + 1}`, String(i))));
  select.onchange = () => showResult(job, job.results[Number(select.value)]);
  $("#viewer").hidden = false;
  if (job.results.length) showResult(job, job.results[0]);
}

function mediaFor(job, result, index) {
  const media = state.media.get(job.job_id) || [];
  return media.find((m) => m.name === result.filename) || media[index];
}

async function showResult(job, result) {
  for (const href of state.blobs.splice(0)) URL.revokeObjectURL(href);
  const player = $("#player");
  player.pause();
  player.replaceChildren();
  player.removeAttribute("src");
  const index = job.results.indexOf(result);
  const media = mediaFor(job, result, index);
  $("#no-media").hidden = Boolean(media);
  player.hidden = !media;
  const formats = result.available_formats || [];
  const fileId = job.results.length > 1 ? result.file_id : null;
  renderDownloads(job, result, formats, fileId);
  const audioOnly = Boolean(media) && !String(media.type).startsWith("video/");
  const caption = $("#caption");
  caption.hidden = !audioOnly;
  caption.firstElementChild.textContent = "";
  if (media) {
    player.src = media.url;
    player.classList.toggle("audio-only", audioOnly);
  }
  let segments = [];
  try {
    if (formats.includes("json")) {
      segments = (await (await call(API.result(job.job_id, "json", fileId))).json()).segments || [];
    } else if (formats.includes("vtt")) {
      segments = parseVTT(await (await call(API.result(job.job_id, "vtt", fileId))).text());
    }
    if (media && formats.includes("vtt")) {
      const track = document.createElement("track");
      track.kind = "subtitles";
      track.label = "Transcript";
      track.srclang = job.language && job.language !== "auto" ? job.language : "en";
      track.default = true;
      track.src = await blobURL(API.result(job.job_id, "vtt", fileId));
      player.append(track);
      // Video: the browser draws the cues. Audio: they are drawn by the page (#caption).
      const mode = audioOnly ? "hidden" : "showing";
      track.addEventListener("load", () => { track.track.mode = mode; });
      track.track.mode = mode;
      track.track.addEventListener("cuechange", () => {
        const cues = [...(track.track.activeCues || [])];
        caption.firstElementChild.textContent =
          cues.map((c) => c.text.replace(/<v ([^>]+)>/g, "$1: ").replace(/<[^>]+>/g, "")).join(" ");
      });
    }
  } catch (err) {
    showFormError(err);
  }
  renderTranscript(segments);
}

function renderDownloads(job, result, formats, fileId) {
  const box = $("#downloads");
  const stem = (result.filename || "transcript").replace(/\.[^.]+$/, "");
  box.replaceChildren(...formats.map((fmt) => {
    const link = document.createElement("a");
    link.href = API.result(job.job_id, fmt, fileId);
    link.download = `${stem}.${fmt}`;
    link.textContent = `Download ${fmt}`;
    link.addEventListener("click", async (e) => {
      if (!apiKey()) return;  // a plain link works without a key
      e.preventDefault();
      try {
        const a = document.createElement("a");
        a.href = await blobURL(link.href);
        a.download = link.download;
        a.click();
      } catch (err) { showFormError(err); }
    });
    return link;
  }));
}

function speakerOf(segment) {
  if (segment.speaker) return segment.speaker;
  const counts = {};
  for (const w of segment.words || []) if (w.speaker) counts[w.speaker] = (counts[w.speaker] || 0) + 1;
  const best = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
  return best ? best[0] : null;
}

function seconds(value) {
  return value >= 60 ? clock(value).replace(/\.\d$/, "") : `${Number(value).toFixed(1)} s`;
}

function clock(seconds) {
  const s = Math.max(0, seconds);
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, "0")}`;
}

function renderTranscript(segments) {
  const speakers = [];
  for (const seg of segments) {
    const who = speakerOf(seg);
    if (who && !speakers.includes(who)) speakers.push(who);
  }
  const color = (who) => COLORS[speakers.indexOf(who) % COLORS.length];
  $("#speakers").replaceChildren(...speakers.map((who) => {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = color(who);
    swatch.setAttribute("aria-hidden", "true");
    item.append(swatch, document.createTextNode(who));
    return item;
  }));
  $("#speakers").hidden = speakers.length === 0;
  const player = $("#player");
  $("#transcript").replaceChildren(...segments.map((seg) => {
    const item = document.createElement("li");
    item.dataset.start = seg.start;
    item.dataset.end = seg.end;
    const time = document.createElement("button");
    time.type = "button";
    time.className = "time";
    time.textContent = clock(seg.start);
    time.setAttribute("aria-label", `Play from ${clock(seg.start)}`);
    time.addEventListener("click", () => {
      if (!player.hidden) { player.currentTime = seg.start; player.play(); }
    });
    const text = document.createElement("span");
    const who = speakerOf(seg);
    if (who) {
      const label = document.createElement("span");
      label.className = "who";
      label.style.color = color(who);
      label.textContent = `${who}:`;
      text.append(label);
    }
    text.append(document.createTextNode(String(seg.text).trim()));
    item.append(time, text);
    return item;
  }));
}

function parseVTT(text) {
  const stamp = (t) => t.split(":").reduce((acc, part) => acc * 60 + parseFloat(part), 0);
  const cues = [];
  for (const block of text.replace(/\r\n/g, "\n").split("\n\n")) {
    const lines = block.split("\n");
    const at = lines.findIndex((l) => l.includes("-->"));
    if (at < 0) continue;
    const [start, end] = lines[at].split("-->").map((s) => stamp(s.trim().split(" ")[0]));
    const raw = lines.slice(at + 1).join(" ");
    const voice = raw.match(/<v ([^>]+)>/);
    cues.push({ start, end, text: raw.replace(/<[^>]+>/g, ""), speaker: voice ? voice[1] : null });
  }
  return cues;
}

function highlightNow() {
  const t = $("#player").currentTime;
  for (const item of document.querySelectorAll("#transcript li")) {
    item.classList.toggle("now", t >= Number(item.dataset.start) && t < Number(item.dataset.end));
  }
}

/* ---- live captions: the microphone through the WebSocket /v1/stream -------------------- */

// An AudioWorklet hands the microphone's samples over as they come (128 a render quantum);
// they go to the server as s16le frames of ~100 ms at the context's own rate, which the
// server converts (its resampler keeps state across frames).
const CAPTURE = `class WoasrCapture extends AudioWorkletProcessor {
  process(inputs) { const ch = inputs[0][0]; if (ch) this.port.postMessage(ch.slice(0)); return true; }
}
registerProcessor("woasr-capture", WoasrCapture);`;
const CLOSE_REASONS = {
  1001: "the stream went quiet for too long",
  1008: "refused",
  1011: "the model failed",
  1013: "the server is busy with other streams: try again later",
};
const LIVE_FORMATS = ["srt", "vtt", "txt", "json"];
const live = {
  ws: null, ctx: null, mic: null, node: null, pending: [], queued: 0, error: "", lastEnd: 0,
  name: "live", urls: [],
};

function liveStatus(text, kind = "") {
  const status = $("#live-status");
  status.textContent = text;
  status.className = `note ${kind}`;
}

function streamURL() {
  const url = new URL("v1/stream", document.baseURI);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

function liveButtons(running) {
  $("#live-start").disabled = running;
  $("#live-stop").disabled = !running;
}

async function startLive() {
  if (live.ws) return;
  if (!window.isSecureContext || !navigator.mediaDevices || !window.AudioWorkletNode) {
    liveStatus("this page is not on https or localhost, so the browser gives it no microphone", "bad");
    return;
  }
  liveButtons(true);
  liveStatus("starting…");
  try {
    // Not a call: echo cancellation would take out a meeting played on the speakers (what is
    // to be captioned), and noise suppression's artefacts cost Whisper words. Gain control
    // stays: microphones differ in level.
    const audio = { channelCount: 1, echoCancellation: false, noiseSuppression: false };
    live.mic = await navigator.mediaDevices.getUserMedia({ audio });
    live.ctx = new AudioContext();
    if (live.ctx.sampleRate > 48000) {  // plenty for speech, half the bytes of 96 kHz
      await live.ctx.close();
      live.ctx = new AudioContext({ sampleRate: 48000 });
    }
    const module = URL.createObjectURL(new Blob([CAPTURE], { type: "text/javascript" }));
    await live.ctx.audioWorklet.addModule(module);
    URL.revokeObjectURL(module);
    const ws = new WebSocket(streamURL());
    ws.binaryType = "arraybuffer";
    live.ws = ws;
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("could not open the live stream on this server"));
    });
    // the whole transcript comes back in these, rendered by the server, before the close
    const config = { sample_rate: Math.round(live.ctx.sampleRate), formats: LIVE_FORMATS };
    const model = $("#model").value.trim();
    if ($("#provider").value) config.provider = $("#provider").value;  // the model is its
    if (model) config.model = model;
    if ($("#language").value !== "auto") config.language = $("#language").value;
    if (apiKey()) config.api_key = apiKey();  // a browser cannot set a WebSocket's headers
    ws.send(JSON.stringify(config));
    ws.onmessage = (message) => onLiveEvent(JSON.parse(message.data));
    ws.onclose = endLive;
    ws.onerror = null;
    live.node = new AudioWorkletNode(live.ctx, "woasr-capture");
    live.node.port.onmessage = (message) => sendSamples(message.data);
    live.ctx.createMediaStreamSource(live.mic).connect(live.node);
    await live.ctx.resume();
    $("#live-lines").replaceChildren();
    $("#live-partial").textContent = "";
    clearLiveFiles();
    live.name = `live-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}`;
    liveStatus("listening", "ok");
  } catch (err) {
    const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
    stopCapture();
    if (live.ws) { live.ws.onclose = null; live.ws.close(); live.ws = null; }
    liveButtons(false);
    liveStatus(denied ? "the browser was not allowed to use the microphone" : String(err.message || err), "bad");
  }
}

function sendSamples(block, flush = false) {
  if (!live.ws || live.ws.readyState !== WebSocket.OPEN) return;
  if (block) { live.pending.push(block); live.queued += block.length; }
  if (!live.queued || (!flush && live.queued < live.ctx.sampleRate / 10)) return;
  const pcm = new Int16Array(live.queued);
  let k = 0;
  for (const piece of live.pending) {
    for (const x of piece) pcm[k++] = Math.max(-32768, Math.min(32767, Math.round(x * 32768)));
  }
  live.pending = [];
  live.queued = 0;
  live.ws.send(pcm.buffer);
}

function onLiveEvent(event) {
  if (event.type === "error") {
    live.error = event.message;
  } else if (event.type === "files") {
    showLiveFiles(event.files);
  } else if (event.type === "final" && event.text) {
    // Commits come a few words at a time: they run on in one line, and a pause of 2 s or
    // more starts the next (with its time).
    const lines = $("#live-lines");
    let line = lines.lastElementChild;
    if (!line || event.start - live.lastEnd >= 2) {
      line = document.createElement("li");
      const time = document.createElement("time");
      time.textContent = clock(event.start);
      line.append(time, document.createElement("span"));
      lines.append(line);
    }
    const text = line.lastElementChild;
    text.textContent = joinCommitted(text.textContent, event.text);
    live.lastEnd = event.end;
    lines.scrollTop = lines.scrollHeight;
    $("#live-partial").textContent = "";
  } else if (event.type === "partial") {
    $("#live-partial").textContent = event.text;
  }
}

// No space between commits where both sides are written without spaces (Chinese, Japanese,
// Thai), as the server joins words within one (woasr_cli.spacing).
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\u3000-\u303f\uff00-\uffef]/u;

function joinCommitted(before, after) {
  if (!before) return after;
  const unspaced = UNSPACED.test(before.slice(-1)) && UNSPACED.test(after.charAt(0));
  return unspaced ? before + after : `${before} ${after}`;
}

function clearLiveFiles() {
  live.urls.forEach((url) => URL.revokeObjectURL(url));
  live.urls = [];
  $("#live-files").replaceChildren();
}

function showLiveFiles(files) {
  clearLiveFiles();
  const types = { srt: "application/x-subrip", vtt: "text/vtt", json: "application/json" };
  for (const [fmt, text] of Object.entries(files)) {
    const url = URL.createObjectURL(new Blob([text], { type: `${types[fmt] || "text/plain"};charset=utf-8` }));
    live.urls.push(url);
    const link = document.createElement("a");
    link.href = url;
    link.download = `${live.name}.${fmt}`;
    link.textContent = `Download ${fmt}`;
    $("#live-files").append(link);
  }
}

function stopCapture() {
  if (live.node) { live.node.port.onmessage = null; live.node.disconnect(); live.node = null; }
  if (live.mic) { live.mic.getTracks().forEach((track) => track.stop()); live.mic = null; }
  if (live.ctx) { live.ctx.close().catch(() => {}); live.ctx = null; }
}

function stopLive() {
  if (!live.ws) return;
  if (live.ctx) sendSamples(null, true);  // what the microphone gave since the last frame
  stopCapture();
  if (live.ws.readyState === WebSocket.OPEN) live.ws.send(JSON.stringify({ type: "end" }));
  $("#live-stop").disabled = true;
  liveStatus("finishing the last words…");
}

function endLive(event) {
  stopCapture();
  live.ws = null;
  live.pending = [];
  live.queued = 0;
  $("#live-partial").textContent = "";
  liveButtons(false);
  if (event.code === 1000) {
    liveStatus("stopped");
  } else {
    const why = live.error || event.reason || CLOSE_REASONS[event.code] || "the connection closed";
    liveStatus(`stopped: ${why} (${event.code})`, "bad");
  }
  live.error = "";
}

/* ---- start --------------------------------------------------------------------------- */

function setupKey() {
  const input = $("#api-key");
  input.value = apiKey();
  $("#key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (key) sessionStorage.setItem(KEY_STORE, key); else sessionStorage.removeItem(KEY_STORE);
    $("#key-note").textContent = key ? "key set for this tab" : "no key";
    loadProviders();
    refreshJobs();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupKey();
  setupDrop();
  renderChosen();
  $("#upload-form").addEventListener("submit", submit);
  $("#player").addEventListener("timeupdate", highlightNow);
  $("#live-start").addEventListener("click", startLive);
  $("#live-stop").addEventListener("click", stopLive);
  checkHealth();
  loadProviders();
  refreshJobs();
  setInterval(checkHealth, 15000);
});
