// The healthmon status page: polls the query API and renders one table per group.
// Plain JavaScript served from the jar; no build step.
"use strict";

const ORDER = ["UNHEALTHY", "UNAUTHENTICATED", "DEGRADED", "UNKNOWN", "HEALTHY"];
const POLL_MS = 2000;
let statuses = [];
let groupChosen = false; // until the user picks a grouping, "team" is the default when there is one

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  children.flat().forEach(c => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return node;
}

function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return seconds + " s ago";
  if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
  if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
  return Math.round(seconds / 86400) + " d ago";
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

function row(s) {
  const status = el("td", {}, el("span", {class: "badge " + s.status}, s.status));
  if (s.flapping) status.append(el("span", {class: "flapping", title: "status changed often lately"}, "flapping"));
  const failure = s.lastFailure && s.status !== "HEALTHY" ? s.lastFailure.kind + ": " + s.lastFailure.message : "";
  return el("tr", {"data-backend-id": s.id, "data-status": s.status},
    el("td", {}, el("strong", {}, s.name), el("div", {class: "muted"}, s.id)),
    status,
    el("td", {}, s.reason || "", failure ? el("div", {class: "muted"}, failure) : ""),
    el("td", {title: s.since}, ago(s.since)),
    el("td", {}, s.latencyMs === undefined ? "" : s.latencyMs + " ms"),
    el("td", {}, s.availability.lastHour === undefined ? "" : (100 * s.availability.lastHour).toFixed(1) + " %"));
}

function renderGroups() {
  const key = document.getElementById("group-by").value;
  const text = document.getElementById("filter").value.trim();
  const groups = new Map();
  statuses.filter(s => matches(s, text)).forEach(s => {
    // Own labels only: a key such as "constructor" or "__proto__" must not find Object.prototype's.
    const value = key && Object.hasOwn(s.labels, key) ? s.labels[key] : "";
    const name = key ? (value || "(no " + key + ")") : "all backends";
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(s);
  });
  const sections = [...groups.keys()].sort().map(name => {
    const members = groups.get(name).sort((a, b) =>
      ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || a.name.localeCompare(b.name));
    return el("section", {},
      el("h2", {}, (key ? key + ": " : "") + name + " (" + members.length + ")"),
      el("table", {},
        el("thead", {}, el("tr", {}, ["Backend", "Status", "Reason", "Since", "Latency", "Up (1 h)"].map(h => el("th", {}, h)))),
        el("tbody", {}, members.map(row))));
  });
  document.getElementById("groups").replaceChildren(...(sections.length ? sections : [el("p", {class: "muted"}, "No backends match.")]));
}

async function refresh() {
  try {
    const [page, summary] = await Promise.all([
      fetch("api/status?limit=1000").then(r => r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))),
      fetch("api/summary").then(r => r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status)))]);
    statuses = page.items;
    renderSummary(summary);
    renderGroupOptions();
    renderGroups();
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("updated").textContent = "update failed (" + e.message + "); retrying";
  }
}

document.getElementById("group-by").addEventListener("change", () => {
  groupChosen = true; // "(none)" too: the next poll must not put "team" back
  renderGroups();
});
document.getElementById("filter").addEventListener("input", renderGroups);
refresh();
setInterval(refresh, POLL_MS);
