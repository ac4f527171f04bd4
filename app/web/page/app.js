// The live view: polls /stats.json once a second (the server samples once a second however many
// pages are open) and draws the actor topology, the charts and the tables. No framework; uPlot
// (vendored, MIT) draws the charts.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const errors = document.getElementById("errors");

function report(message) {
  const li = document.createElement("li");
  li.textContent = message;
  errors.appendChild(li);
}
window.addEventListener("error", (e) => report(String(e.message)));
window.addEventListener("unhandledrejection", (e) => report(String(e.reason)));

function fmt(n, digits = 0) {
  if (n === undefined || n === null || Number.isNaN(n)) return "–";
  return Number(n).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function duration(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}

function text(id, value) {
  document.getElementById(id).textContent = value;
}

// ---- topology --------------------------------------------------------------------------------

// Columns left to right: where a message goes. Actors not named here go in the bottom row.
const COLUMNS = [["listeners"], ["broker"], ["sessions"], ["spooler", "remote_spool"],
                 ["queue_writer"], ["deliverer"], ["targets"]];
const BOX_W = 176, BOX_H = 74, GAP_X = 26, TOP = 20;

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function box(svg, x, y, title, lines, attrs) {
  const g = el("g", Object.assign({ class: "box", transform: `translate(${x},${y})` }, attrs), svg);
  el("rect", { width: BOX_W, height: BOX_H }, g);
  const t = el("text", { x: 8, y: 17, class: "name" }, g);
  t.textContent = title;
  lines.forEach((line, i) => {
    const l = el("text", { x: 8, y: 35 + i * 16 }, g);
    l.textContent = line;
  });
  return g;
}

function actorLines(a) {
  return [`mailbox ${fmt(a.mailbox)} · ${fmt(a.messages_per_s)}/s`, `busy ${fmt(a.busy_percent, 1)} %`];
}

// Deliveries by route from the deliverer's "<result>_<route>" counters: {route: {result: n}}.
function targetRoutes(counters) {
  const routes = {};
  for (const [k, v] of Object.entries(counters)) {
    const m = /^(delivered|deferred|failed|expired)_(.+)$/.exec(k);
    if (m) (routes[m[2]] = routes[m[2]] || {})[m[1]] = v;
  }
  return routes;
}

function drawTopology(stats) {
  const svg = document.getElementById("topology");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const defs = el("defs", {}, svg);
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" }, defs);
  el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8a94a6" }, marker);

  const byName = Object.fromEntries(stats.actors.map((a) => [a.name, a]));
  const broker = byName.broker || { counters: {} };
  const placed = new Set(["sessions"]);
  let x = 10;
  let stacked = 1;  // boxes one above the other in a column (listeners, spool nodes, targets)
  const centers = [];
  for (const column of COLUMNS) {
    const y = TOP + 40;
    let drawn = false;
    if (column[0] === "listeners") {
      const names = Object.keys(broker.counters).filter((k) => k.startsWith("listener:") && k.endsWith(":sessions"))
        .map((k) => k.split(":")[1]);
      names.forEach((name, i) => {
        const c = broker.counters;
        box(svg, x, TOP + i * (BOX_H + 8), "listener " + name,
            [`sessions ${fmt(c[`listener:${name}:sessions`])}`, `accepted ${fmt(c[`listener:${name}:accepted`])} · refused ${fmt(c[`listener:${name}:refused`])}`],
            { "data-actor": "listener:" + name });
      });
      stacked = Math.max(stacked, names.length);
      drawn = names.length > 0;
    } else if (column[0] === "sessions") {
      const s = stats.sessions;
      // Three states to a line, names shortened: five would not fit the box.
      const short = { greeting: "greet", command: "cmd" };
      const states = Object.entries(s.by_state).filter(([, n]) => n > 0).map(([k, n]) => `${short[k] || k} ${n}`);
      const stateLines = states.length ? [states.slice(0, 3).join(" · "), states.slice(3).join(" · ")].filter((l) => l) : ["none"];
      const a = byName.sessions || {};
      box(svg, x, y, `sessions (${fmt(s.live)})`, [...stateLines, `${fmt(a.messages_per_s)}/s · busy ${fmt(a.busy_percent, 1)} %`],
          { "data-actor": "sessions", "data-live": s.live });
      drawn = true;
    } else if (column[0] === "targets") {
      const d = byName.deliverer;
      if (d) {
        const routes = targetRoutes(d.counters);
        const names = Object.keys(routes);
        if (!names.length) box(svg, x, y, "targets", ["nothing delivered yet"], { "data-actor": "targets" });
        names.forEach((route, i) => {
          const r = routes[route];
          box(svg, x, TOP + i * (BOX_H + 8), "target " + route,
              [`delivered ${fmt(r.delivered || 0)}`, `deferred ${fmt(r.deferred || 0)} · failed ${fmt((r.failed || 0) + (r.expired || 0))}`],
              { "data-actor": "target:" + route });
        });
        stacked = Math.max(stacked, names.length);
        drawn = true;
      }
    } else if (column[0] === "queue_writer" && !byName.queue_writer && byName.remote_spool) {
      // An edge: its spool is on the spool nodes, one box each.
      const c = byName.remote_spool.counters;
      const nodes = [...new Set(Object.keys(c).filter((k) => k.startsWith("node:")).map((k) => k.slice(5, k.lastIndexOf(":"))))];
      nodes.forEach((name, i) => {
        const p = `node:${name}:`;
        box(svg, x, TOP + i * (BOX_H + 8), "spool node " + name,
            [`${c[p + "up"] ? "up" : "DOWN"} · writer depth ${fmt(c[p + "writer_depth"] || 0)}`,
             `tickets ${fmt(c[p + "tickets"])} · commit ${fmt((c[p + "commit_latency_us"] || 0) / 1000, 1)} ms`],
            { "data-actor": "node:" + name, class: "box" + (c[p + "up"] ? "" : " busy") });
      });
      stacked = Math.max(stacked, nodes.length);
      drawn = nodes.length > 0;
    } else {
      for (const name of column) {
        const a = byName[name];
        if (!a) continue;
        placed.add(name);
        const busy = a.busy_percent > 80 ? " busy" : "";
        box(svg, x, y, name, actorLines(a), { "data-actor": name, class: "box" + busy, "data-mailbox": a.mailbox });
        drawn = true;
        break;
      }
    }
    if (drawn) {
      centers.push(x);
      x += BOX_W + GAP_X;
    }
  }
  for (let i = 1; i < centers.length; ++i) {
    const y = TOP + 40 + BOX_H / 2;
    el("path", { class: "edge", d: `M ${centers[i - 1] + BOX_W} ${y} L ${centers[i] - 2} ${y}` }, svg);
  }
  // Everything else (auth front, resolver, tracer, relay target, ...) below.
  const below = TOP + Math.max(40 + BOX_H, stacked * (BOX_H + 8)) + 42;
  let bx = 10;
  for (const a of stats.actors) {
    if (placed.has(a.name) || ["broker", "deliverer", "queue_writer", "spooler", "remote_spool"].includes(a.name)) continue;
    box(svg, bx, below, a.name, actorLines(a), { "data-actor": a.name });
    bx += BOX_W + GAP_X;
  }
  svg.setAttribute("viewBox", `0 0 ${Math.max(x, bx)} ${below + BOX_H + 20}`);
}

// ---- charts ----------------------------------------------------------------------------------

const charts = {};

function chart(id, labels, series, data) {
  const container = document.getElementById(id);
  const key = labels.join("|");
  const width = Math.max(container.clientWidth - 16, 300);
  if (!charts[id] || charts[id].key !== key) {
    if (charts[id]) charts[id].plot.destroy();
    const colors = ["#1f77b4", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b"];
    const opts = {
      width, height: 190,
      series: [{}].concat(labels.map((label, i) => ({ label, stroke: colors[i % colors.length], width: 1.5 }))),
      axes: [{}, { size: 50 }],
    };
    charts[id] = { key, plot: new uPlot(opts, [data[0]].concat(series), container) };
  } else {
    charts[id].plot.setData([data[0]].concat(series));
  }
}

function drawCharts(series) {
  const t = series.t;
  chart("chart-throughput", ["accepted/s", "delivered/s"], [series.accepted_per_s, series.delivered_per_s], [t]);
  chart("chart-latency", ["p50", "p99"], [series.commit_p50_ms, series.commit_p99_ms], [t]);
  chart("chart-batch", ["messages per commit"], [series.batch_size], [t]);
  chart("chart-sessions", ["live sessions"], [series.sessions], [t]);
  const codes = Object.keys(series.refusals_per_s).sort();
  chart("chart-refusals", codes.length ? codes : ["none"],
        codes.length ? codes.map((c) => series.refusals_per_s[c]) : [t.map(() => 0)], [t]);
}

// ---- tables ----------------------------------------------------------------------------------

function row(tbody, cells) {
  const tr = document.createElement("tr");
  for (const [value, cls] of cells) {
    const td = document.createElement("td");
    td.textContent = value;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  tbody.appendChild(tr);
}

function drawTables(stats) {
  const slow = document.querySelector("#slowest tbody");
  slow.textContent = "";
  for (const s of stats.sessions.slowest) row(slow, [[s.client], [s.listener], [s.state], [duration(s.in_state_ms / 1000), "num"]]);
  text("slowest-at", stats.sessions.slowest_at ? "as of " + new Date(stats.sessions.slowest_at * 1000).toLocaleTimeString() : "(collected every 10 s while the page is open)");
  const actors = document.querySelector("#actors tbody");
  actors.textContent = "";
  for (const a of stats.actors) {
    const counters = Object.entries(a.counters).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(" ");
    row(actors, [[a.name], [fmt(a.instances), "num"], [fmt(a.mailbox), "num"], [fmt(a.mailbox_high_water), "num"],
                 [fmt(a.messages_per_s, 1), "num"], [fmt(a.busy_percent, 1), "num"], [counters, "counters"]]);
  }
}

// ---- summary ---------------------------------------------------------------------------------

function drawSummary(stats) {
  const byName = Object.fromEntries(stats.actors.map((a) => [a.name, a]));
  text("uptime", duration(stats.uptime_s));
  text("accepted-total", fmt((byName.queue_writer || { counters: {} }).counters.commits || 0));
  text("delivered-total", fmt((byName.deliverer || { counters: {} }).counters.delivered || 0));
  text("sessions-live", fmt(stats.sessions.live));
  const p = stats.pressure;
  const badge = document.getElementById("pressure");
  badge.textContent = "pressure " + p.name;
  badge.className = "pressure " + p.name;
  badge.title = `queue writer depth ${p.writer_depth}, commit latency ${fmt(p.commit_latency_ms, 1)} ms: ` +
    "slow paces reads, shed answers new transactions 451, refuse turns connections away with 421";
  text("updated", "updated " + new Date(stats.time * 1000).toLocaleTimeString());
}

async function refresh() {
  try {
    // From the origin: a page opened as http://user:password@host/ may not fetch a relative URL.
    const response = await fetch(new URL("/stats.json", window.location.origin), { cache: "no-store" });
    if (!response.ok) throw new Error("/stats.json: HTTP " + response.status);
    const stats = await response.json();
    if (!stats.actors.length) return;  // the first sample is not taken yet
    drawSummary(stats);
    drawTopology(stats);
    drawCharts(stats.series);
    drawTables(stats);
    document.body.dataset.samples = String(stats.series.t.length);
  } catch (e) {
    text("updated", String(e));
    if (e instanceof TypeError && !/NetworkError|Failed to fetch/.test(e.message)) report(String(e));  // a bug, not an outage
  }
}

refresh();
setInterval(refresh, 1000);
