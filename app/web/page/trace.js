// /trace/QUEUE-ID: one message's path (from /trace.json?id=); /trace/ or /trace/?q=TEXT: the
// recent messages that match. Text is always set as text, never as markup.
"use strict";

function report(message) {
  const li = document.createElement("li");
  li.textContent = message;
  document.getElementById("errors").appendChild(li);
}

function row(tbody, cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.appendChild(c); else td.textContent = c == null ? "" : String(c);
    tr.appendChild(td);
  }
  tbody.appendChild(tr);
  return tr;
}

function link(href, label) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = label;
  return a;
}

async function getJson(path) {
  const response = await fetch(new URL(path, window.location.origin), { cache: "no-store" });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

function showMessage(t) {
  document.getElementById("message").hidden = false;
  document.getElementById("title").textContent = "Message " + t.id;
  const rcpt = (t.rcpt || []).map(a => "<" + a + ">").join(", ");
  document.getElementById("envelope").textContent =
    "from <" + (t.from || "") + "> to " + rcpt + " · client " + (t.client || "?") +
    (t.recent ? "" : " · not in the recent traces: steps from what the queue keeps");
  const tbody = document.querySelector("#events tbody");
  const first = t.events.length ? t.events[0].at_us : 0;
  for (const e of t.events) {
    const tr = row(tbody, [e.at.replace("T", " ").replace("Z", ""), ((e.at_us - first) / 1000).toFixed(1),
                           e.step, e.detail, e.source]);
    tr.className = "step";
    tr.dataset.step = e.step;
  }
  if (t.events_dropped) document.getElementById("dropped").textContent =
    t.events_dropped + " later step(s) not kept (a message keeps at most 64)";
  const q = t.queue;
  document.getElementById("queue-state").textContent = q ? q.state + (q.delivered_at ? " at " + q.delivered_at : "")
                                                           : "not in this node's queue";
  if (!q) return;
  const rb = document.querySelector("#recipients tbody");
  for (const r of q.recipients)
    row(rb, [r.address + (r.original !== r.address ? " (from " + r.original + ")" : ""),
             r.route + (r.target ? " " + r.target : ""), r.state, r.attempts, r.last_attempt_at, r.last_reply]);
}

function showFound(list, text) {
  document.getElementById("found").hidden = false;
  document.getElementById("found-title").textContent =
    (text ? "Recent messages matching “" + text + "”" : "Recent messages") + " (" + list.messages.length + ")";
  const tbody = document.querySelector("#messages tbody");
  for (const m of list.messages)
    row(tbody, [link("/trace/" + encodeURIComponent(m.id), m.id), "<" + m.from + ">",
                (m.rcpt || []).join(", "), m.client, m.first_at, (m.last_step || "") + ": " + (m.last_detail || "")]);
}

async function main() {
  const id = decodeURIComponent(window.location.pathname.replace(/^\/trace\/?/, ""));
  const text = new URLSearchParams(window.location.search).get("q") || "";
  document.getElementById("q").value = text;
  try {
    if (id) {
      const t = await getJson("/trace.json?id=" + encodeURIComponent(id));
      if (t) showMessage(t); else report("No message " + id + " in the recent traces or the queue.");
    } else {
      showFound(await getJson("/trace.json?q=" + encodeURIComponent(text)), text);
    }
  } catch (e) {
    report(String(e));
  }
}

main();
