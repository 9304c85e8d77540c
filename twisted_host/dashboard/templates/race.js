// The race page: starts a race, follows its events (server-sent events; or the record
// saved in a permalink) and draws one waterfall per mount on one shared time axis.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var legsBox = document.getElementById("race-legs");
  var statusEl = document.getElementById("race-status");
  var progress = document.getElementById("race-progress");
  var form = document.getElementById("race-form");
  var fields = document.getElementById("race-fields");
  var origin = legsBox.dataset.origin || "";
  var state = null;
  var source = null;
  var lastId = -1;
  var pending = false;
  var note = "";  // why the page shows someone else's race, until it ends

  function say(text, refused) {
    statusEl.textContent = note ? note + " " + text : text;
    statusEl.classList.toggle("refused", !!refused || !!note);
  }
  function secs(v) { return v === null || v === undefined ? "\u2013" : v.toFixed(2) + " s"; }
  function ms(v) { return (v * 1000).toFixed(0) + " ms"; }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- state, from events ---------------------------------------------------------
  function begin(event) {
    state = { number: event.number, spec: event.spec, threads: event.threads,
              order: [], legs: {}, answered: 0 };
    legsBox.textContent = "";
    event.targets.forEach(function (t) {
      state.order.push(t.name);
      state.legs[t.name] = { target: t, reqs: {}, lags: [], pool: [], now: 0, found: null,
                             box: section(t) };
    });
    progress.max = event.spec.requests * event.targets.length;
    progress.value = 0;
    progress.hidden = false;
  }
  function section(t) {
    var box = el("section", { "class": "leg " + t.name, id: "leg-" + t.name,
                              "aria-labelledby": "leg-" + t.name + "-title" });
    var h = el("h2", { id: "leg-" + t.name + "-title" });
    h.appendChild(el("span", { "class": "mount " + t.name }, t.name));
    h.appendChild(document.createTextNode(" "));
    h.appendChild(el("small", {}, t.label));
    box.appendChild(h);
    box.appendChild(el("p", { "class": "url" }, t.url));
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-labelledby", "leg-" + t.name + "-svgtitle");
    svg.id = "svg-" + t.name;
    box.appendChild(svg);
    box.appendChild(el("p", { "class": "sentences", id: "sentences-" + t.name }, "Waiting for its turn."));
    var compare = el("p", {});
    compare.appendChild(el("a", { "class": "compare", href: origin + "{{ base }}/compare/" + state.spec.feature },
                           "compare the code of " + state.spec.feature + " on every mount"));
    box.appendChild(compare);
    var table = el("table", { "class": "summary", id: "summary-" + t.name });
    table.appendChild(el("caption", { "class": "muted" }, t.name + ": what was measured"));
    box.appendChild(table);
    var details = el("details", {});
    details.appendChild(el("summary", {}, "every request, as a table"));
    details.appendChild(el("table", { "class": "requests", id: "requests-" + t.name }));
    box.appendChild(details);
    legsBox.appendChild(box);
    return box;
  }
  function apply(event) {
    if (event.id <= lastId) return;  // replayed after a reconnect: seen already
    lastId = event.id;
    var leg = state && event.mount ? state.legs[event.mount] : null;
    switch (event.type) {
      case "race":
        begin(event);
        say("Race " + event.number + ": " + event.spec.requests + " \u00d7 " + event.spec.path +
            " on " + event.targets.length + " targets, one after another.");
        break;
      case "leg":
        say("Racing " + event.mount + " (" + (state.order.indexOf(event.mount) + 1) + " of " +
            state.order.length + "): " + event.url);
        leg.box.querySelector(".sentences").textContent = "Running\u2026";
        break;
      case "request":
        var r = leg.reqs[event.i] || (leg.reqs[event.i] = { start: event.t });
        if (event.phase === "first") r.first = event.t;
        if (event.phase === "end") {
          r.end = event.t; r.status = event.status; r.error = event.error;
          state.answered += 1;
          progress.value = state.answered;
        }
        leg.now = Math.max(leg.now, event.t);
        break;
      case "sample":
        leg.pool.push([event.t, event.busy, event.backlog]);
        event.lags.forEach(function (l) { leg.lags.push(l); });
        leg.now = Math.max(leg.now, event.t);
        break;
      case "leg-end":
        leg.found = event;
        leg.box.querySelector(".sentences").textContent = event.sentences.join(" ");
        say(event.mount + ": " + event.sentences[0]);
        break;
      case "done":
        say("Race " + state.number + " is over: " + event.legs.map(function (f) {
          return f.mount + " " + secs(f.finished_in);
        }).join(", ") + ".");
        finished();
        break;
      case "failed":
        say("The race stopped: " + event.reason, true);
        finished();
        break;
    }
    schedule();
  }
  function finished() {
    note = "";
    if (source) { source.close(); source = null; }
    if (fields) fields.disabled = false;
    var save = document.getElementById("race-save");
    if (form && state) {
      document.getElementById("race-save-html").href = "{{ base }}/race/" + state.number + ".html";
      document.getElementById("race-save-json").href = "{{ base }}/race/" + state.number + ".json";
      save.hidden = false;
    }
  }

  // --- drawing --------------------------------------------------------------------
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  }
  function tickStep(span) {
    var steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
    for (var k = 0; k < steps.length; k++) if (span / steps[k] <= 6) return steps[k];
    return 600;
  }
  function draw() {
    if (!state) return;
    var span = Math.max(0.5, (state.spec.seconds || 0) * 1.05), lagTop = 0.1, poolTop = state.threads;
    state.order.forEach(function (name) {
      var leg = state.legs[name];
      span = Math.max(span, leg.now);
      leg.lags.forEach(function (l) { lagTop = Math.max(lagTop, l[1]); });
      leg.pool.forEach(function (p) { poolTop = Math.max(poolTop, p[1] + p[2]); });
    });
    state.order.forEach(function (name) { drawLeg(state.legs[name], span * 1.02, lagTop, poolTop); });
  }
  function drawLeg(leg, span, lagTop, poolTop) {
    var n = state.spec.requests, W = 280, L = 12, R = 4, plot = W - L - R;
    var rowH = Math.max(2.5, Math.min(10, 160 / n)), top = 4;
    // Each lane has its caption above it, clear of what it draws.
    var fallH = n * rowH, lagY = top + fallH + 16, laneH = 40, poolY = lagY + laneH + 16;
    var axisY = poolY + laneH, H = axisY + 16;
    function x(t) { return (L + plot * Math.max(0, t) / span).toFixed(2); }
    function w(a, b) { return Math.max(0.8, plot * (b - a) / span).toFixed(2); }
    var out = [];
    var found = leg.found, ends = [], maxLag = 0, maxBusy = 0, maxBacklog = 0;
    var step = tickStep(span);
    for (var s = 0; s <= span + 1e-9; s += step) {
      out.push('<line class="grid" x1="' + x(s) + '" x2="' + x(s) + '" y1="' + top + '" y2="' + axisY + '"></line>');
      out.push('<text x="' + x(s) + '" y="' + (axisY + 12) + '" text-anchor="middle">' + (+s.toFixed(1)) + ' s</text>');
    }
    out.push('<text x="0" y="' + (top + 9) + '">#</text>');
    for (var i = 0; i < n; i++) {
      var r = leg.reqs[i];
      if (!r) continue;
      var y = (top + i * rowH + rowH * 0.15).toFixed(2), h = (rowH * 0.7).toFixed(2);
      var until = r.end !== undefined ? r.end : leg.now;
      var firstAt = r.first !== undefined ? r.first : until;
      var failed = r.end !== undefined && (r.status === null || r.status >= 500);
      if (r.end !== undefined && r.status !== null) ends.push(r.end);
      out.push('<g class="req" data-i="' + i + '" data-start="' + r.start + '"' +
               (r.first !== undefined ? ' data-first="' + r.first + '"' : '') +
               (r.end !== undefined ? ' data-end="' + r.end + '" data-status="' + r.status + '"' : '') + '>' +
               '<rect class="wait' + (failed ? ' failed' : '') + '" x="' + x(r.start) + '" y="' + y + '" width="' + w(r.start, firstAt) + '" height="' + h + '"></rect>' +
               (r.first !== undefined ? '<rect class="recv' + (failed ? ' failed' : '') + '" x="' + x(r.first) + '" y="' + y + '" width="' + w(r.first, until) + '" height="' + h + '"></rect>' : '') +
               '</g>');
    }
    // A timer due at t - lag fired at t: the reactor was stuck for that long, the lag
    // climbing from 0 to `lag`, which is what the triangle draws.
    var base = lagY + laneH, tri = [];
    leg.lags.forEach(function (l) {
      maxLag = Math.max(maxLag, l[1]);
      var peak = (base - laneH * l[1] / lagTop).toFixed(2);
      tri.push('<polygon class="lagged" points="' + x(l[0] - l[1]) + ',' + base + ' ' + x(l[0]) + ',' + peak + ' ' + x(l[0]) + ',' + base + '"></polygon>');
    });
    out.push('<rect class="lane" x="' + L + '" y="' + lagY + '" width="' + plot + '" height="' + laneH + '"></rect>');
    out.push('<g class="lag" data-max-lag="' + maxLag + '">' + tri.join("") + '</g>');
    out.push('<text x="' + L + '" y="' + (lagY - 4) + '">reactor lag: peak ' + ms(maxLag) + '</text><text x="' + (W - R) + '" y="' + (lagY - 4) + '" text-anchor="end">scale ' + ms(lagTop) + '</text>');
    var busyPts = [], backPts = [], pbase = poolY + laneH, prev = null;
    leg.pool.forEach(function (p) {
      maxBusy = Math.max(maxBusy, p[1]); maxBacklog = Math.max(maxBacklog, p[2]);
      var yb = (pbase - laneH * p[1] / poolTop).toFixed(2), yq = (pbase - laneH * p[2] / poolTop).toFixed(2);
      if (prev) { busyPts.push(x(p[0]) + ',' + prev[0]); backPts.push(x(p[0]) + ',' + prev[1]); }
      busyPts.push(x(p[0]) + ',' + yb); backPts.push(x(p[0]) + ',' + yq);
      prev = [yb, yq];
    });
    out.push('<rect class="lane" x="' + L + '" y="' + poolY + '" width="' + plot + '" height="' + laneH + '"></rect>');
    out.push('<g class="pool" data-max-busy="' + maxBusy + '" data-max-backlog="' + maxBacklog + '">' +
             '<polyline class="busy" points="' + busyPts.join(" ") + '"></polyline>' +
             '<polyline class="backlog" points="' + backPts.join(" ") + '"></polyline></g>');
    out.push('<text x="' + L + '" y="' + (poolY - 4) + '">WSGI pool: busy \u2264 ' + maxBusy + ', waiting \u2264 ' + maxBacklog + '</text><text x="' + (W - R) + '" y="' + (poolY - 4) + '" text-anchor="end">top: ' + poolTop + '</text>');
    var finishedIn = ends.length ? Math.max.apply(null, ends) : null;
    var title = leg.target.name + ": " + ends.length + " of " + n + " requests answered" +
                (finishedIn !== null ? ", the last after " + secs(finishedIn) : "") +
                "; reactor lag peaked at " + ms(maxLag) + "; WSGI pool busy at most " + maxBusy +
                ", waiting at most " + maxBacklog + ".";
    var svg = leg.box.querySelector("svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("data-finished", finishedIn === null ? "" : finishedIn);
    svg.innerHTML = '<title id="leg-' + leg.target.name + '-svgtitle">' + title + '</title>' + out.join("");
    tables(leg, finishedIn, maxLag, maxBusy, maxBacklog);
  }
  function row(table, cells, head) {
    var tr = el("tr", {});
    cells.forEach(function (c, k) { tr.appendChild(el(head || k === 0 ? "th" : "td", k && !head ? { "class": "num" } : {}, c)); });
    table.appendChild(tr);
  }
  function tables(leg, finishedIn, maxLag, maxBusy, maxBacklog) {
    var name = leg.target.name, summary = document.getElementById("summary-" + name);
    var caption = summary.querySelector("caption");
    summary.textContent = "";
    summary.appendChild(caption);
    var answered = 0, firstEnd = null;
    Object.keys(leg.reqs).forEach(function (k) {
      var r = leg.reqs[k];
      if (r.end === undefined || r.status === null) return;  // no answer (yet)
      answered += 1;
      firstEnd = firstEnd === null ? r.end : Math.min(firstEnd, r.end);
    });
    row(summary, ["answered", answered + " of " + state.spec.requests]);
    row(summary, ["first answer after", secs(firstEnd)]);
    row(summary, ["finished in", secs(finishedIn)]);
    row(summary, ["reactor lag, peak", ms(maxLag)]);
    row(summary, ["WSGI threads busy, most", String(maxBusy)]);
    row(summary, ["requests waiting, most", String(maxBacklog)]);
    summary.querySelectorAll("td")[2].className = "num finished";
    summary.querySelectorAll("td")[3].className = "num lag";
    var list = document.getElementById("requests-" + name);
    list.textContent = "";
    row(list, ["#", "status", "start", "first byte", "end"], true);
    Object.keys(leg.reqs).forEach(function (k) {
      var r = leg.reqs[k];
      row(list, [String(+k + 1), r.end === undefined ? "running" : (r.status === null ? (r.error || "failed") : String(r.status)),
                 secs(r.start), secs(r.first), secs(r.end)]);
    });
  }

  // --- where the events come from -------------------------------------------------
  function follow(links) {
    if (source) source.close();
    lastId = -1;
    if (fields) fields.disabled = true;
    source = new EventSource(links.events);
    ["race", "leg", "request", "sample", "leg-end", "done", "failed"].forEach(function (type) {
      source.addEventListener(type, function (e) { apply(JSON.parse(e.data)); });
    });
  }
  var record = document.getElementById("race-record");
  if (record) {
    JSON.parse(record.textContent).events.forEach(apply);
    return;
  }
  fields.disabled = false;
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    say("Starting\u2026");
    fetch("{{ base }}/race/start", { method: "POST", body: new URLSearchParams(new FormData(form)) })
      .then(function (r) { return r.json().then(function (body) { return [r.status, body]; }); })
      .then(function (answer) {
        var status = answer[0], body = answer[1];
        document.getElementById("race-save").hidden = true;
        if (status === 202) { follow(body); return; }
        if (status === 409 && body.running) {
          note = "A race is already running (race " + body.running.number + "): it is shown below; start yours once it ends.";
          say("");
          follow(body.running);
          return;
        }
        say("Not started: " + body.error + ".", true);
      })
      .catch(function () { say("The server did not answer.", true); });
  });
  var running = legsBox.dataset.running;
  if (running) follow({ events: "{{ base }}/race/" + running + "/events" });
})();
