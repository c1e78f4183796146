import Hummingbird

/// The dashboard at `/` (issue 7): one self-contained page, inline CSS and JavaScript and no
/// external asset (many deployments have no internet), that polls the JSON API every 2 s.
///
/// The page holds no data itself, so it is public; its requests carry the bearer token that the
/// user pastes once (kept in `localStorage`, sent only to this origin). Writes (requeue) need it;
/// reads need it unless the server opens them.
///
/// Shown: queues with their counts and oldest job, a throughput sparkline (jobs ended per second,
/// from the difference of the `totals` counters between polls, so it starts when the page
/// opens), running jobs with progress bars, recent failures with their errors and a requeue
/// button, supervisors and their children, scheduled jobs and periodic entries.
///
/// Nothing in the URL changes state or the token: any page may send the browser to this one with
/// any fragment, so only the user's own input does (a click on Save or Requeue; events a script
/// dispatches are not trusted and are ignored). The outcome of a requeue and the number of
/// completed loads are recorded on `<body>` (`data-requeued`, `data-requeue-result`,
/// `data-loads`) for the browser test, which types and clicks through Chromium's DevTools input.
enum DashboardPage {
    /// The page with headers that limit what it can do if anything ever slipped through its
    /// escaping: it may only talk to this server (`connect-src 'self'`, so a token could not be
    /// sent elsewhere), load nothing, and not be framed (no clickjacking of its requeue button).
    static var response: Response {
        var response = Response.text(html, contentType: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drover</title>
<style>
:root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --mute:#6b7385; --line:#e3e6ec; --accent:#2f6fde; --ok:#1f9d55; --warn:#c98a00; --bad:#d0342c; }
@media (prefers-color-scheme: dark) { :root { --bg:#14171d; --card:#1c2028; --ink:#e6e9ef; --mute:#9aa3b5; --line:#2c323d; --accent:#6ea1ff; } }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; flex-wrap:wrap; gap:8px 16px; align-items:center; padding:10px 16px; background:var(--card); border-bottom:1px solid var(--line); position:sticky; top:0; z-index:2; }
header h1 { font-size:18px; margin:0; }
#status { display:flex; align-items:center; gap:6px; color:var(--mute); flex:1 1 auto; min-width:180px; }
#status .dot { width:10px; height:10px; border-radius:50%; background:var(--mute); flex:none; }
#status.ok .dot { background:var(--ok); } #status.warn .dot { background:var(--warn); } #status.bad .dot { background:var(--bad); }
#auth { display:flex; gap:6px; flex:1 1 260px; max-width:420px; }
#auth input { flex:1; min-width:0; padding:5px 8px; border:1px solid var(--line); border-radius:6px; background:var(--bg); color:var(--ink); }
button { padding:5px 10px; border:1px solid var(--accent); border-radius:6px; background:var(--accent); color:#fff; cursor:pointer; font:inherit; }
button.ghost { background:transparent; color:var(--accent); }
button:disabled { opacity:.5; cursor:default; }
main { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(100%, 560px), 1fr)); gap:14px; padding:14px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px; min-width:0; }
section h2 { font-size:15px; margin:0 0 8px; display:flex; justify-content:space-between; align-items:baseline; gap:8px; }
section h2 small { color:var(--mute); font-weight:normal; }
.scroll { overflow-x:auto; }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:5px 6px; border-bottom:1px solid var(--line); white-space:nowrap; vertical-align:top; }
th { color:var(--mute); font-weight:600; font-size:12px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.err { white-space:normal; min-width:160px; color:var(--bad); }
code { font:12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.empty { color:var(--mute); padding:6px 0; }
.bar { height:8px; background:var(--line); border-radius:4px; overflow:hidden; min-width:80px; }
.bar span { display:block; height:100%; background:var(--accent); }
.bar.unknown span { width:100%; opacity:.35; }
.badge { display:inline-block; padding:0 6px; border-radius:8px; font-size:12px; background:var(--line); }
.badge.busy { background:var(--accent); color:#fff; } .badge.stale { background:var(--bad); color:#fff; }
#spark { width:100%; height:48px; display:block; margin-bottom:6px; }
#spark polyline { fill:none; stroke:var(--accent); stroke-width:2; }
.sup { border-top:1px solid var(--line); padding-top:6px; margin-top:6px; }
#toast { position:fixed; right:14px; bottom:14px; background:var(--ink); color:var(--bg); padding:8px 12px; border-radius:8px; opacity:0; transition:opacity .2s; max-width:80vw; }
#toast.show { opacity:.92; }
@media (max-width: 600px) { .wide { display:none; } main { padding:8px; gap:8px; } section { padding:10px; } }
</style>
</head>
<body>
<header>
  <h1>Drover</h1>
  <div id="status"><span class="dot"></span><span id="status-text">loading…</span></div>
  <form id="auth" autocomplete="off"><input id="token" type="password" placeholder="API token (kept in this browser)" aria-label="API token"><button type="submit" class="ghost">Save</button></form>
</header>
<main>
  <section id="queues"><h2>Queues <small id="rate"></small></h2><svg id="spark" viewBox="0 0 300 48" preserveAspectRatio="none" aria-label="jobs ended per second"><polyline points=""></polyline></svg><div class="scroll" id="queues-body"></div></section>
  <section id="running"><h2>Running <small id="running-count"></small></h2><div class="scroll" id="running-body"></div></section>
  <section id="failures"><h2>Recent failures <small id="failures-count"></small></h2><div class="scroll" id="failures-body"></div></section>
  <section id="workers"><h2>Workers <small id="workers-count"></small></h2><div id="workers-body"></div></section>
  <section id="scheduled"><h2>Scheduled <small id="scheduled-count"></small></h2><div class="scroll" id="scheduled-body"></div></section>
  <section id="periodic"><h2>Periodic</h2><div class="scroll" id="periodic-body"></div></section>
</main>
<div id="toast" role="status"></div>
<script>
"use strict";
const POLL_MS = 2000, SPARK_POINTS = 60;
const state = { token: localStorage.getItem("drover.token") || "", samples: [], loads: 0 };
const $ = (id) => document.getElementById(id);
$("token").value = state.token;

function saveToken(token) { state.token = token.trim(); localStorage.setItem("drover.token", state.token); }
function esc(v) { return String(v == null ? "" : v).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])); }
function span(seconds) {
  const s = Math.abs(seconds);
  if (s < 60) return Math.round(s) + "s";
  if (s < 3600) return Math.round(s / 60) + "m";
  if (s < 86400) return (s / 3600).toFixed(1) + "h";
  return (s / 86400).toFixed(1) + "d";
}
function rel(iso) {
  if (!iso) return "–";
  const d = (Date.parse(iso) - Date.now()) / 1000;
  return d >= 0 ? "in " + span(d) : span(d) + " ago";
}
function table(head, rows, empty) {
  if (!rows.length) return '<div class="empty">' + esc(empty) + "</div>";
  return "<table><thead><tr>" + head.map((h) => "<th" + (h.cls ? ' class="' + h.cls + '"' : "") + ">" + esc(h.t) + "</th>").join("") +
    "</tr></thead><tbody>" + rows.join("") + "</tbody></table>";
}
function toast(text) {
  const t = $("toast"); t.textContent = text; t.classList.add("show");
  clearTimeout(toast.timer); toast.timer = setTimeout(() => t.classList.remove("show"), 3000);
}
function setStatus(kind, text) { $("status").className = kind; $("status-text").textContent = text; }

async function api(path, options) {
  options = options || {};
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (state.token) headers.Authorization = "Bearer " + state.token;
  const response = await fetch(path, { method: options.method || "GET", headers: headers, body: options.body, cache: "no-store" });
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) {
    const error = new Error(body && body.error ? body.error.message : response.status + " " + response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

function renderQueues(data) {
  const rows = data.queues.map((q) => {
    const c = q.counts;
    return "<tr><td><code>" + esc(q.name) + '</code></td><td class="num">' + c.queued + '</td><td class="num wide">' + c.scheduled +
      '</td><td class="num">' + c.started + '</td><td class="num wide">' + c.finished + '</td><td class="num">' + c.failed +
      '</td><td class="num wide">' + c.canceled + '</td><td class="num">' + (q.oldest_queued_age_seconds == null ? "–" : span(q.oldest_queued_age_seconds)) + "</td></tr>";
  });
  $("queues-body").innerHTML = table([{ t: "Queue" }, { t: "Queued", cls: "num" }, { t: "Sched.", cls: "num wide" }, { t: "Running", cls: "num" },
    { t: "Finished", cls: "num wide" }, { t: "Failed", cls: "num" }, { t: "Canceled", cls: "num wide" }, { t: "Oldest", cls: "num" }], rows, "No queues yet.");
  // Throughput: jobs that ended (finished, failed, canceled) per second between two polls.
  let ended = 0;
  for (const q of data.queues) ended += (q.totals.finished || 0) + (q.totals.failed || 0) + (q.totals.canceled || 0);
  const now = Date.parse(data.time) || Date.now();
  const last = state.last;
  state.last = { ended: ended, now: now };
  if (last && now > last.now) {
    state.samples.push(Math.max(0, (ended - last.ended) * 1000 / (now - last.now)));
    if (state.samples.length > SPARK_POINTS) state.samples.shift();
  }
  const peak = Math.max(0, ...state.samples);
  const max = Math.max(1, peak);
  const step = 300 / (SPARK_POINTS - 1);
  const offset = SPARK_POINTS - state.samples.length;
  document.querySelector("#spark polyline").setAttribute("points",
    state.samples.map((v, i) => ((offset + i) * step).toFixed(1) + "," + (46 - v / max * 44).toFixed(1)).join(" "));
  const current = state.samples.length ? state.samples[state.samples.length - 1] : null;
  $("rate").textContent = current == null ? "" : current.toFixed(1) + " jobs/s (peak " + peak.toFixed(1) + ")";
}

function renderRunning(page) {
  $("running-count").textContent = page.total ? page.total + " running" : "";
  const rows = page.jobs.map((j) => {
    const pct = j.progress ? Math.max(0, Math.min(100, j.progress.percent)) : null;
    const bar = pct == null ? '<div class="bar unknown" title="no progress reported"><span></span></div>'
      : '<div class="bar" title="' + pct.toFixed(0) + '%"><span style="width:' + pct + '%"></span></div>';
    return "<tr><td>" + esc(j.name) + '<br><code class="wide">' + esc(j.id) + "</code></td><td><code>" + esc(j.queue) + '</code></td><td class="wide">' +
      esc(j.worker || "") + "</td><td>" + esc(rel(j.started_at)) + "</td><td>" + bar + "</td></tr>";
  });
  $("running-body").innerHTML = table([{ t: "Job" }, { t: "Queue" }, { t: "Worker", cls: "wide" }, { t: "Started" }, { t: "Progress" }], rows, "Nothing running.");
}

function renderFailures(page) {
  $("failures-count").textContent = page.total ? page.total + " in the registry" : "";
  const rows = page.jobs.map((j) => {
    const e = j.error || {};
    return '<tr data-id="' + esc(j.id) + '"><td>' + esc(j.name) + '<br><code class="wide">' + esc(j.id) + "</code></td><td><code>" + esc(j.queue) +
      '</code></td><td class="err">' + esc(e.type ? e.type + ": " : "") + esc(e.message || "") + (e.signal ? " (" + esc(e.signal) + ")" : "") +
      '</td><td class="wide">' + esc(rel(j.ended_at)) + '</td><td><button class="requeue" data-id="' + esc(j.id) + '">Requeue</button></td></tr>';
  });
  $("failures-body").innerHTML = table([{ t: "Job" }, { t: "Queue" }, { t: "Error" }, { t: "Failed", cls: "wide" }, { t: "" }], rows, "No failures.");
}

function renderWorkers(data) {
  const live = data.supervisors.filter((s) => !s.stale).length;
  $("workers-count").textContent = live + " supervisor" + (live === 1 ? "" : "s");
  if (!data.supervisors.length) { $("workers-body").innerHTML = '<div class="empty">No supervisor has registered.</div>'; return; }
  $("workers-body").innerHTML = data.supervisors.map((s) => {
    const rows = s.children.map((c) => "<tr><td>" + c.pid + "</td><td>" + esc(c.pool) + '</td><td><span class="badge ' + esc(c.state) + '">' + esc(c.state) +
      "</span></td><td><code>" + esc(c.job_id || "") + '</code></td><td class="num">' + c.jobs_done + '</td><td class="num wide">' +
      (c.rss_bytes == null ? "–" : (c.rss_bytes / 1048576).toFixed(0) + " MB") + '</td><td class="wide">' + esc(rel(c.started_at)) + "</td></tr>");
    return '<div class="sup"><b>' + esc(s.host) + "</b> pid " + s.pid + (s.name ? " (" + esc(s.name) + ")" : "") +
      (s.stale ? ' <span class="badge stale">stale</span>' : "") + ' <small>' + esc(s.status) + " · up " + esc(rel(s.started_at).replace(" ago", "")) +
      '</small><div class="scroll">' + table([{ t: "PID" }, { t: "Pool" }, { t: "State" }, { t: "Job" }, { t: "Done", cls: "num" }, { t: "RSS", cls: "num wide" }, { t: "Started", cls: "wide" }], rows, "No children.") + "</div></div>";
  }).join("");
}

function renderScheduled(page) {
  $("scheduled-count").textContent = page.total ? page.total + " waiting" : "";
  const rows = page.jobs.map((j) => "<tr><td>" + esc(j.name) + '<br><code class="wide">' + esc(j.id) + "</code></td><td><code>" + esc(j.queue) + "</code></td><td>" +
    esc(rel(j.scheduled_for)) + '</td><td class="num">' + (j.attempt > 0 ? "retry " + j.attempt + "/" + j.max_attempts : "delayed") + "</td></tr>");
  $("scheduled-body").innerHTML = table([{ t: "Job" }, { t: "Queue" }, { t: "Due" }, { t: "Why", cls: "num" }], rows, "Nothing scheduled.");
}

function renderPeriodic(data) {
  const rows = data.entries.map((p) => "<tr><td>" + esc(p.name) + "</td><td><code>" + esc(p.cron) + '</code> <small class="wide">' + esc(p.timezone) + "</small></td><td>" +
    esc(p.job) + " → <code>" + esc(p.queue) + '</code></td><td class="wide">' + esc(p.last_run_at ? rel(p.last_run_at) : "never") +
    "</td><td>" + esc(rel(p.next_run_at)) + "</td></tr>");
  $("periodic-body").innerHTML = table([{ t: "Name" }, { t: "Schedule" }, { t: "Job" }, { t: "Last", cls: "wide" }, { t: "Next" }], rows,
    "No periodic entries in the config.");
}

async function refresh() {
  try {
    const [queues, running, failures, workers, scheduled, periodic] = await Promise.all([
      api("/api/v1/queues"), api("/api/v1/jobs?state=started&limit=50"), api("/api/v1/failed?limit=20"),
      api("/api/v1/workers"), api("/api/v1/scheduled?limit=20"), api("/api/v1/periodic")]);
    renderQueues(queues); renderRunning(running); renderFailures(failures);
    renderWorkers(workers); renderScheduled(scheduled); renderPeriodic(periodic);
    setStatus("ok", "Redis ok · updated " + new Date().toLocaleTimeString());
    document.body.dataset.loaded = "true";
    document.body.dataset.loads = String(++state.loads);
    // For the browser test: wider than the window means the page itself scrolls sideways.
    document.body.dataset.pageWidth = String(document.documentElement.scrollWidth);
  } catch (error) {
    if (error.status === 401 || error.status === 403) setStatus("warn", "Paste the API token: " + error.message);
    else if (error.status === 503) setStatus("bad", error.message);
    else setStatus("bad", "Cannot reach the server: " + error.message);
  }
}

async function requeue(button) {
  const id = button.dataset.id;
  if (!state.token) { toast("Paste the API token first: requeue changes state."); return; }
  button.disabled = true;
  try {
    const job = await api("/api/v1/jobs/" + encodeURIComponent(id) + "/requeue", { method: "POST" });
    const row = button.closest("tr");
    if (row) row.remove();
    toast("Requeued " + id + " → " + job.queue + " (" + job.state + ")");
    document.body.dataset.requeued = id;
    document.body.dataset.requeueResult = "ok " + job.state;
    await refresh();
  } catch (error) {
    button.disabled = false;
    toast("Requeue failed: " + error.message);
    document.body.dataset.requeueResult = "error " + (error.status || "") + " " + error.message;
  }
}

// Only the user's own click changes state: isTrusted is false for events a script dispatches.
$("failures-body").addEventListener("click", (event) => {
  const button = event.target.closest("button.requeue");
  if (button && event.isTrusted) requeue(button);
});
$("auth").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!event.isTrusted) return;
  saveToken($("token").value); toast("Token saved in this browser."); refresh();
});
async function loop() {
  if (!document.hidden) await refresh();
  setTimeout(loop, POLL_MS);
}
loop();
</script>
</body>
</html>
"""#
}
