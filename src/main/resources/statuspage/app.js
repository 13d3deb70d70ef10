// The healthmon status page: polls the query API and renders one table per group.
// Plain JavaScript served from the jar; no build step, nothing fetched from elsewhere.
// Every string from the API is untrusted: it reaches the page only as text (el() below), never as HTML.
"use strict";

const ORDER = ["UNHEALTHY", "UNAUTHENTICATED", "DEGRADED", "UNKNOWN", "HEALTHY"];
const OUTCOMES = ["HEALTHY", "DEGRADED", "UNHEALTHY", "UNAUTHENTICATED"];
const COLUMNS = ["Backend", "Status", "Reason", "Since", "Last checks", "Latency", "Uptime"];
const POLL_MS = 2000;
const SVG = "http://www.w3.org/2000/svg";
const TICK_STEP = 6; // px per tick in the bar (5 wide, 1 apart); the sparkline uses the same x scale
const SPARK_HEIGHT = 20;
let statuses = [];
let checksById = new Map();
let groupChosen = false; // until the user picks a grouping, "team" is the default when there is one

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  children.flat().forEach(c => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
  return node;
}

function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return seconds + " s ago";
  if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
  if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
  return Math.round(seconds / 86400) + " d ago";
}

function percent(share) {
  return share === undefined ? "–" : (100 * share).toFixed(1) + " %";
}

function renderSummary(summary) {
  const box = document.getElementById("summary");
  box.replaceChildren(el("span", {class: "count total"}, summary.total + " backends"),
    ...ORDER.filter(s => summary.byStatus[s] > 0)
      .map(s => el("span", {class: "count " + s, "data-summary-status": s}, summary.byStatus[s] + " " + s.toLowerCase())));
}

function renderGroupOptions() {
  const select = document.getElementById("group-by");
  const keys = [...new Set(statuses.flatMap(s => Object.keys(s.labels)))].sort();
  const current = groupChosen ? select.value : (keys.includes("team") ? "team" : "");
  select.replaceChildren(el("option", {value: ""}, "(none)"), ...keys.map(k => el("option", {value: k}, k)));
  select.value = current;
}

function matches(s, text) {
  if (!text) return true;
  const hay = [s.id, s.name, s.status, s.reason || "", ...Object.entries(s.labels).map(([k, v]) => k + ":" + v)]
    .join(" ").toLowerCase();
  return text.toLowerCase().split(/\s+/).every(word => hay.includes(word));
}

// ---- cells

function statusCell(s) {
  const cell = el("td", {}, el("span", {class: "badge " + s.status}, s.status));
  if (s.flapping) cell.append(el("span", {class: "flapping", title: "status changed often lately"}, "flapping"));
  return cell;
}

/** The reason, and the last failure while not healthy; long texts are clipped (CSS), the whole is the tooltip. */
function reasonCell(s) {
  const failure = s.lastFailure && s.status !== "HEALTHY" ? s.lastFailure.kind + ": " + s.lastFailure.message : "";
  return el("td", {},
    s.reason ? el("div", {class: "clip"}, s.reason) : "",
    failure ? el("div", {class: "clip muted failure", title: failure}, failure) : "");
}

function tick(check) {
  const outcome = OUTCOMES.includes(check.outcome) ? check.outcome : "UNKNOWN";
  const when = new Date(Date.parse(check.at)).toLocaleTimeString();
  return el("span", {class: "tick " + outcome, "data-outcome": outcome,
    title: when + " " + outcome + " " + check.latencyMs + " ms"});
}

/** The checks' latencies as a line, one point under each tick, scaled to the largest. */
function sparkline(checks) {
  const width = Math.max(1, checks.length * TICK_STEP);
  const latencies = checks.map(c => Math.max(0, Number(c.latencyMs) || 0));
  const top = Math.max(1, ...latencies);
  const x = i => i * TICK_STEP + 2.5;
  const y = ms => (SPARK_HEIGHT - 1 - (SPARK_HEIGHT - 2) * ms / top).toFixed(1);
  const title = svg("title", {});
  title.textContent = "latency of the last " + checks.length + " checks: " + Math.min(...latencies) + "–" + top + " ms";
  const line = svg("svg", {class: "sparkline", width: width, height: SPARK_HEIGHT,
    viewBox: "0 0 " + width + " " + SPARK_HEIGHT, role: "img"});
  line.append(title, svg("polyline", {points: latencies.map((ms, i) => x(i) + "," + y(ms)).join(" ")}));
  return line;
}

function checksCell(s) {
  const checks = checksById.get(s.id) || [];
  if (checks.length === 0) return el("td", {class: "checks muted"}, "no checks yet");
  return el("td", {class: "checks"}, el("div", {class: "ticks", "aria-label": "last " + checks.length + " checks"},
    checks.map(tick)), sparkline(checks));
}

function uptimeCell(s) {
  return el("td", {class: "uptime"},
    el("div", {"data-window": "1h"}, el("span", {class: "muted"}, "1 h "), percent(s.availability.lastHour)),
    el("div", {"data-window": "24h"}, el("span", {class: "muted"}, "24 h "), percent(s.availability.lastDay)));
}

function row(s) {
  return el("tr", {"data-backend-id": s.id, "data-status": s.status},
    el("td", {class: "backend"}, el("strong", {}, s.name), el("div", {class: "muted"}, s.id)),
    statusCell(s),
    reasonCell(s),
    el("td", {title: s.since}, ago(s.since)),
    checksCell(s),
    el("td", {}, s.latencyMs === undefined ? "" : s.latencyMs + " ms"),
    uptimeCell(s));
}

// ---- groups

function groupOf(s, key) {
  // Own labels only: a key such as "constructor" or "__proto__" must not find Object.prototype's.
  const value = key && Object.hasOwn(s.labels, key) ? s.labels[key] : "";
  return key ? (value || "(no " + key + ")") : "all backends";
}

function section(key, name, members) {
  members.sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || a.name.localeCompare(b.name));
  return el("section", {},
    el("h2", {}, (key ? key + ": " : "") + name + " (" + members.length + ")"),
    el("table", {},
      el("thead", {}, el("tr", {}, COLUMNS.map(h => el("th", {}, h)))),
      el("tbody", {}, members.map(row))));
}

function renderGroups() {
  const key = document.getElementById("group-by").value;
  const text = document.getElementById("filter").value.trim();
  const groups = new Map();
  statuses.filter(s => matches(s, text)).forEach(s => {
    const name = groupOf(s, key);
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(s);
  });
  const sections = [...groups.keys()].sort().map(name => section(key, name, groups.get(name)));
  document.getElementById("groups").replaceChildren(...(sections.length ? sections : [el("p", {class: "muted"}, "No backends match.")]));
}

// ---- polling

function json(path) {
  return fetch(path).then(r => r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status)));
}

async function refresh() {
  try {
    const [page, summary, checks] = await Promise.all([json("api/status?limit=1000"), json("api/summary"),
      json("api/checks?limit=1000")]);
    statuses = page.items;
    checksById = new Map(checks.items.map(item => [item.id, item.checks]));
    renderSummary(summary);
    renderGroupOptions();
    renderGroups();
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("updated").textContent = "update failed (" + e.message + "); retrying";
  }
}

// ---- keyboard: "/" focuses the filter (as on GitHub), Escape empties it; Tab reaches it as any field

function typingElsewhere(event) {
  const target = event.target;
  return target instanceof HTMLInputElement || target instanceof HTMLSelectElement
    || target instanceof HTMLTextAreaElement || (target instanceof HTMLElement && target.isContentEditable);
}

function onKey(event) {
  const filter = document.getElementById("filter");
  if (event.key === "/" && !typingElsewhere(event) && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    filter.focus();
    filter.select();
  } else if (event.key === "Escape" && event.target === filter && filter.value) {
    filter.value = "";
    renderGroups();
  }
}

document.getElementById("group-by").addEventListener("change", () => {
  groupChosen = true; // "(none)" too: the next poll must not put "team" back
  renderGroups();
});
document.getElementById("filter").addEventListener("input", renderGroups);
document.addEventListener("keydown", onKey);
refresh();
setInterval(refresh, POLL_MS);
