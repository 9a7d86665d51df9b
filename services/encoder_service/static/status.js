// The encoder's live status page: polls /v1/status every 2 s with the operator's API key or metrics token and
// draws it. Every value goes into the page as text (camera ids come from callers), never as markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const POLL_MS = 2000;

function credential() {
  const hash = new URLSearchParams(location.hash.slice(1));
  for (const kind of ["key", "token"]) {
    if (hash.get(kind)) {
      sessionStorage.setItem("stae-credential", JSON.stringify({ kind, value: hash.get(kind) }));
      history.replaceState(null, "", location.pathname); // the secret leaves the address bar
    }
  }
  const stored = sessionStorage.getItem("stae-credential");
  return stored ? JSON.parse(stored) : null;
}

function headers(cred) {
  // One secret, either kind: the encoder accepts an API key or the metrics token.
  return { "X-API-Key": cred.value, Authorization: `Bearer ${cred.value}` };
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function mbps(bps) {
  return bps == null ? "-" : `${(bps / 1e6).toFixed(2)} Mbit/s`;
}

function ago(t, now) {
  return t == null ? "-" : `${Math.max(0, Math.round(now - t))} s ago`;
}

function budget(last) {
  if (!last) return "-";
  const level = last.level == null ? "" : ` level ${last.level}`;
  return `${last.encoding} α=${last.alpha} β=${last.beta}${level}`;
}

function drawDeadlines(svg, buckets) {
  svg.replaceChildren();
  const max = Math.max(1, ...buckets.map((b) => b.hits + b.misses));
  const w = 600 / buckets.length;
  buckets.forEach((b, i) => {
    const hitH = (100 * b.hits) / max;
    const missH = (100 * b.misses) / max;
    svg.append(svgEl("rect", { class: "hit", x: i * w, y: 110 - hitH, width: w - 1, height: hitH }));
    svg.append(svgEl("rect", { class: "miss", x: i * w, y: 110 - hitH - missH, width: w - 1, height: missH }));
  });
  const label = svgEl("text", { class: "axis", x: 4, y: 12 });
  label.textContent = `max ${max} per 10 s (green: hit, red: missed)`;
  svg.append(label);
}

function drawBytes(svg, points, now, windowS) {
  svg.replaceChildren();
  const max = Math.max(1, ...points.map((p) => p[1]));
  const xy = points.map(([t, b]) => `${(600 * (t - (now - windowS))) / windowS},${110 - (100 * b) / max}`);
  if (xy.length) svg.append(svgEl("polyline", { class: "line", points: xy.join(" ") }));
  for (const p of xy) {
    const [x, y] = p.split(",");
    svg.append(svgEl("circle", { class: "dot", cx: x, cy: y, r: 2.5 }));
  }
  const label = svgEl("text", { class: "axis", x: 4, y: 12 });
  label.textContent = `max ${max} B; ${points.length} payloads in the last ${windowS / 60} min`;
  svg.append(label);
}

function render(s) {
  document.getElementById("view").hidden = false;
  document.getElementById("error").hidden = true;
  const now = s.generated_at;
  document.getElementById("updated").textContent = `updated ${new Date(now * 1000).toLocaleTimeString()}`;
  const dec = document.getElementById("decoder");
  dec.textContent = s.decoder.ready ? "ready" : "not ready";
  dec.className = s.decoder.ready ? "ok" : "bad";
  const load = s.decoder.load;
  document.getElementById("load").textContent = load
    ? `queue ${load.queue_depth}, wait up to ${Math.round(Math.max(0, ...Object.values(load.wait_ms)))} ms, ` +
      `reported ${ago(s.decoder.load_at, now)}`
    : "no load reported yet";
  const redis = document.getElementById("redis");
  redis.textContent = s.redis_up ? "up" : "unreachable";
  redis.className = s.redis_up ? "ok" : "bad";
  document.getElementById("model").textContent = `profile: ${s.profile_model ?? "none yet"}`;
  const hits = s.deadlines.reduce((a, b) => a + b.hits, 0);
  const misses = s.deadlines.reduce((a, b) => a + b.misses, 0);
  const hitsEl = document.getElementById("hits");
  hitsEl.textContent = hits + misses ? `${hits} of ${hits + misses} met (${Math.round((100 * hits) / (hits + misses))}%)` : "no answers yet";
  hitsEl.dataset.hits = String(hits);
  hitsEl.dataset.misses = String(misses);
  drawDeadlines(document.getElementById("deadline-chart"), s.deadlines);
  drawBytes(document.getElementById("bytes-chart"), s.payload_bytes, now, s.window_s);
  const rows = s.cameras.map((c) => {
    const tr = el("tr", undefined, { "data-camera": c.camera_id, "data-bandwidth-bps": String(c.bandwidth_bps ?? "") });
    const last = c.last;
    tr.append(
      el("td", c.camera_id),
      el("td", mbps(c.bandwidth_bps)),
      el("td", `${c.latency_ms.toFixed(1)} ms`),
      el("td", String(c.samples)),
      el("td", budget(last)),
      el("td", last ? `${last.payload_bytes} B` : "-", last ? { "data-payload-bytes": String(last.payload_bytes) } : {}),
      el("td", last ? `${Math.round(last.total_ms)} / ${Math.round(last.deadline_ms)} ms` : "-", {
        class: last ? (last.deadline_met ? "ok" : "bad") : "",
      }),
      el("td", ago(c.updated_at, now)),
    );
    return tr;
  });
  document.getElementById("cameras").replaceChildren(...rows);
  document.body.dataset.rendered = String((Number(document.body.dataset.rendered) || 0) + 1);
}

async function poll(cred) {
  try {
    const resp = await fetch("/v1/status", { headers: headers(cred), cache: "no-store" });
    if (resp.status === 401) {
      sessionStorage.removeItem("stae-credential");
      showLogin("that key or token was refused");
      return;
    }
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    render(await resp.json());
  } catch (err) {
    const e = document.getElementById("error");
    e.textContent = `cannot reach the encoder: ${err.message}`;
    e.hidden = false;
  }
  setTimeout(() => poll(cred), POLL_MS);
}

function showLogin(message) {
  const form = document.getElementById("login");
  form.hidden = false;
  if (message) {
    const e = document.getElementById("error");
    e.textContent = message;
    e.hidden = false;
  }
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const value = document.getElementById("secret").value;
    sessionStorage.setItem("stae-credential", JSON.stringify({ kind: "key", value }));
    form.hidden = true;
    poll({ kind: "key", value });
  };
}

const cred = credential();
if (cred) poll(cred);
else showLogin();
