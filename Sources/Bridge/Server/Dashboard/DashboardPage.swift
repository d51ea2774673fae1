/// `/dashboard`: one self-contained page (HTML, CSS and JavaScript inline; no build step, nothing
/// fetched from elsewhere) that follows ``DashboardFeed`` and redraws once a second: the instance's
/// state, its live calls, the in-server latency histogram both ways, each node's cost per frame and
/// the latest barge-in reaction times.
enum DashboardPage {
    static let path = "/dashboard"

    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>voiced</title>
    <style>
      :root { --fg: #1d2330; --muted: #6b7385; --line: #e3e6ee; --up: #2f6fde; --down: #e07a1f; --ok: #1f9d55; --bad: #d64545; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: #f6f7fa; }
      header { display: flex; gap: 24px; align-items: baseline; padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); }
      header h1 { font-size: 18px; margin: 0; }
      .badge { padding: 2px 10px; border-radius: 10px; color: #fff; font-weight: 600; }
      .ok { background: var(--ok); } .draining, .down { background: var(--bad); }
      .figure { color: var(--muted); } .figure b { color: var(--fg); font-size: 16px; }
      main { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; padding: 16px 24px; }
      section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
      section.wide { grid-column: 1 / -1; }
      h2 { font-size: 14px; margin: 0 0 10px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
      table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
      th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
      td.n, th.n { text-align: right; }
      .empty { color: var(--muted); padding: 8px; }
      .bar { display: flex; align-items: center; gap: 8px; margin: 3px 0; }
      .bar .label { width: 210px; overflow: hidden; text-overflow: ellipsis; }
      .bar .fill { height: 12px; background: var(--up); border-radius: 2px; min-width: 1px; }
      .bar .fill.down { background: var(--down); }
      .bar .value { color: var(--muted); font-variant-numeric: tabular-nums; }
      canvas { width: 100%; height: 220px; }
      .legend span { margin-right: 16px; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
    </style>
    </head>
    <body>
    <header>
      <h1>voiced</h1>
      <span id="status" class="badge down">connecting</span>
      <span class="figure">calls <b id="active">–</b> / <span id="max">–</span></span>
      <span class="figure">started <b id="started">–</b></span>
      <span class="figure">ended <b id="ended">–</b></span>
      <span class="figure">frames dropped <b id="dropped">–</b></span>
      <span class="figure" id="server"></span>
    </header>
    <main>
      <section class="wide">
        <h2>Active calls</h2>
        <table>
          <thead><tr><th>call</th><th>provider</th><th>provider call</th><th>agent</th><th>graph</th><th>state</th>
            <th class="n">age s</th><th class="n">in</th><th class="n">out</th><th class="n">dropped</th>
            <th class="n">up p50/p99 ms</th><th class="n">down p50/p99 ms</th></tr></thead>
          <tbody id="calls"></tbody>
        </table>
      </section>
      <section>
        <h2>In-server latency per frame (bucket upper bound, ms)</h2>
        <div class="legend"><span><i style="background:var(--up)"></i>uplink (caller → agent)</span><span><i style="background:var(--down)"></i>downlink (agent → caller)</span></div>
        <canvas id="latency" width="640" height="220"></canvas>
      </section>
      <section>
        <h2>Node cost per frame</h2>
        <div id="nodes"><div class="empty">no frames yet</div></div>
      </section>
      <section class="wide">
        <h2>Barge-in reaction (ms from the caller's first word to the agent cut)</h2>
        <div id="bargeins"><div class="empty">no barge-in yet</div></div>
      </section>
    </main>
    <script>
    "use strict";
    const $ = (id) => document.getElementById(id);
    const fixed = (x, digits) => Number(x).toFixed(digits);

    function cell(text, numeric) {
      const td = document.createElement("td");
      td.textContent = text;
      if (numeric) td.className = "n";
      return td;
    }

    function renderCalls(calls) {
      const body = $("calls");
      body.replaceChildren();
      if (calls.length === 0) {
        const row = document.createElement("tr");
        const td = cell("no active calls");
        td.colSpan = 12; td.className = "empty";
        row.append(td); body.append(row);
        return;
      }
      for (const c of calls) {
        const row = document.createElement("tr");
        row.dataset.callId = c.call_id;
        row.append(cell(c.call_id), cell(c.provider), cell(c.provider_call_id), cell(c.agent), cell(c.graph), cell(c.state),
          cell(fixed(c.age_seconds, 1), true), cell(c.frames_in, true), cell(c.frames_out, true), cell(c.frames_dropped, true),
          cell(fixed(c.uplink_p50_ms, 2) + " / " + fixed(c.uplink_p99_ms, 2), true),
          cell(fixed(c.downlink_p50_ms, 2) + " / " + fixed(c.downlink_p99_ms, 2), true));
        body.append(row);
      }
    }

    function renderLatency(latency) {
      const canvas = $("latency"), g = canvas.getContext("2d");
      const w = canvas.width, h = canvas.height, bottom = h - 28, top = 8;
      g.clearRect(0, 0, w, h);
      const n = latency.uplink.length;
      const total = (xs) => xs.reduce((a, b) => a + b, 0) || 1;
      const up = latency.uplink.map((x) => x / total(latency.uplink));
      const down = latency.downlink.map((x) => x / total(latency.downlink));
      const peak = Math.max(...up, ...down, 0.01);
      const slot = w / n, bar = slot * 0.38;
      g.font = "11px system-ui"; g.fillStyle = "#6b7385"; g.textAlign = "center";
      for (let i = 0; i < n; i++) {
        const x = i * slot + slot / 2;
        g.fillStyle = getComputedStyle(document.documentElement).getPropertyValue("--up");
        g.fillRect(x - bar, bottom - (bottom - top) * up[i] / peak, bar, (bottom - top) * up[i] / peak);
        g.fillStyle = getComputedStyle(document.documentElement).getPropertyValue("--down");
        g.fillRect(x, bottom - (bottom - top) * down[i] / peak, bar, (bottom - top) * down[i] / peak);
        g.fillStyle = "#6b7385";
        const bound = i < latency.bounds_ms.length ? latency.bounds_ms[i] : null;
        const label = bound === null ? ">" + latency.bounds_ms[n - 2] : (bound < 1 ? fixed(bound * 1000, 0) + "µ" : bound);
        if (i % 2 === 0 || n < 10) g.fillText(label, x, h - 10);
      }
      g.strokeStyle = "#e3e6ee"; g.beginPath(); g.moveTo(0, bottom + 0.5); g.lineTo(w, bottom + 0.5); g.stroke();
    }

    function bars(container, items, label, value, text, down) {
      container.replaceChildren();
      if (items.length === 0) { const e = document.createElement("div"); e.className = "empty"; e.textContent = "nothing yet"; container.append(e); return; }
      const peak = Math.max(...items.map(value), 1e-9);
      for (const item of items) {
        const row = document.createElement("div"); row.className = "bar";
        const name = document.createElement("span"); name.className = "label"; name.textContent = label(item);
        const fill = document.createElement("span"); fill.className = "fill" + (down && down(item) ? " down" : "");
        fill.style.width = (300 * value(item) / peak) + "px";
        const v = document.createElement("span"); v.className = "value"; v.textContent = text(item);
        row.append(name, fill, v); container.append(row);
      }
    }

    function render(s) {
      const status = $("status");
      status.textContent = s.status === "ok" ? (s.ready ? "ready" : "at capacity") : s.status;
      status.className = "badge " + (s.status === "ok" && s.ready ? "ok" : "draining");
      $("active").textContent = s.active_calls; $("max").textContent = s.max_calls;
      $("started").textContent = s.calls_started; $("ended").textContent = s.calls_ended;
      $("dropped").textContent = s.frames_dropped; $("server").textContent = s.server;
      renderCalls(s.calls);
      renderLatency(s.latency);
      bars($("nodes"), s.nodes, (n) => n.direction + " · " + n.node, (n) => n.mean_us,
        (n) => fixed(n.mean_us, 1) + " µs (p99 ≤ " + fixed(n.p99_us, 0) + ")", (n) => n.direction === "downlink");
      bars($("bargeins"), s.barge_in_reaction_ms.map((ms, i) => ({ ms, i })), (b) => "#" + (b.i + 1), (b) => b.ms, (b) => b.ms + " ms");
      document.body.dataset.updated = String(Date.now());
    }

    const events = new EventSource("/dashboard/events");
    events.onmessage = (message) => render(JSON.parse(message.data));
    events.onerror = () => { const s = $("status"); s.textContent = "disconnected, retrying"; s.className = "badge down"; };
    </script>
    </body>
    </html>
    """#
}
