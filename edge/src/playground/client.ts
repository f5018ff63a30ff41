// The playground's browser script, served from /playground/app.js. Plain ES2017, no framework, no
// template literals (this is itself one). It speaks only the public API: /v1/policies, /v1/usage,
// POST /v1/jobs and the job's event stream through EventSource with ?access_token=. An edit sends
// the source image (a file, or a result) as base64 with a strength, and the brush mask as a PNG of
// the source's size, transparent where painted (OpenAI's mask convention).

// biome-ignore lint/complexity/noUselessStringRaw: keeps any future backslash (a regex) literal in the served script
export const PLAYGROUND_JS = String.raw`"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var state = { token: "", price: 0, policies: [], panels: [], running: 0, maxSteps: 0, source: null };

  function showError(msg) { $("error").textContent = msg || ""; }
  function money(micro) { return "$" + (micro / 1e6).toFixed(micro >= 1e4 ? 4 : 6); }
  function int(n) { return Number(n).toLocaleString("en-US"); }

  async function api(method, path, body) {
    var init = { method: method, headers: { authorization: "Bearer " + state.token } };
    if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
    var res = await fetch(path, init);
    var text = await res.text();
    var json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (!res.ok) {
      var err = json && json.error;
      throw new Error(err ? err.message + " (" + res.status + " " + err.code + ")" : "HTTP " + res.status);
    }
    return json;
  }

  // Development only: the edge answers 404 here unless it accepts the public development secret.
  async function devToken(tier) {
    var res = await fetch("/playground/dev-token" + (tier ? "?tier=" + encodeURIComponent(tier) : ""));
    if (!res.ok) return null;
    return res.json();
  }

  function fillSelect(select, names, selected) {
    select.textContent = "";
    names.forEach(function (name) {
      var opt = document.createElement("option");
      opt.value = name;
      opt.textContent = name;
      if (name === selected) opt.selected = true;
      select.appendChild(opt);
    });
  }

  async function refreshUsage() {
    try {
      var u = await api("GET", "/v1/usage");
      $("usage").textContent = int(u.used_nfe) + " / " + int(u.quota_nfe) + " NFE (" + money(u.cost_micro_usd) + ")";
    } catch (e) { $("usage").textContent = "–"; }
  }

  // Nothing of a previous token's account may stay on screen once another one is tried.
  function clearAccount() {
    state.price = 0;
    state.policies = [];
    state.maxSteps = 0;
    ["tier", "price", "max-steps", "usage"].forEach(function (id) { $(id).textContent = "–"; });
    $("steps-limit").textContent = "";
    $("steps").max = "150";
  }

  // The tier's step limit, next to the field; a value above it is brought down to it.
  function clampSteps() {
    var v = Number($("steps").value);
    if (state.maxSteps && v > state.maxSteps) $("steps").value = String(state.maxSteps);
  }

  async function loadAccount() {
    showError("");
    state.token = $("token").value.trim();
    $("generate").disabled = true;
    clearAccount();
    if (!state.token) { showError("Paste a token first."); return; }
    try {
      var p = await api("GET", "/v1/policies");
      state.price = p.price_micro_usd_per_nfe;
      state.policies = p.data;
      state.maxSteps = p.limits.max_steps;
      $("tier").textContent = p.tier;
      $("price").textContent = int(p.price_micro_usd_per_nfe) + " µUSD / NFE";
      $("max-steps").textContent = String(p.limits.max_steps);
      $("steps").max = String(p.limits.max_steps);
      $("steps-limit").textContent = "max " + p.limits.max_steps + " on " + p.tier;
      clampSteps();
      var names = p.data.map(function (d) { return d.policy; });
      var dflt = (p.data.filter(function (d) { return d.default; })[0] || p.data[0] || {}).policy;
      var keepA = names.indexOf($("policy").value) >= 0 ? $("policy").value : dflt;
      var other = names.filter(function (n) { return n !== keepA; });
      var keepB = names.indexOf($("policy-b").value) >= 0 && $("policy-b").value !== keepA ? $("policy-b").value
        : (other.indexOf("cfg") >= 0 ? "cfg" : other[0] || keepA);
      fillSelect($("policy"), names, keepA);
      fillSelect($("policy-b"), names, keepB);
      $("generate").disabled = false;
      await refreshUsage();
    } catch (e) {
      clearAccount();
      showError("Token rejected: " + e.message);
    }
  }

  function newPanel(policy) {
    var node = $("panel-template").content.firstElementChild.cloneNode(true);
    node.querySelector(".policy").textContent = policy;
    $("panels").appendChild(node);
    var panel = { node: node, policy: policy, jobId: null, es: null, nfe: 0, step: 0, steps: 0, done: false,
      result: null };
    state.panels.push(panel);
    return panel;
  }

  function setMeter(panel, step, steps, nfe, cost) {
    var n = panel.node;
    panel.step = step;
    panel.steps = steps;
    n.querySelector(".step").textContent = step + " / " + steps;
    n.querySelector(".nfe").textContent = int(nfe) + (panel.maxNfe ? " / " + int(panel.maxNfe) : "");
    n.querySelector(".cost").textContent = money(cost === undefined ? nfe * state.price : cost);
    n.querySelector(".fill").style.width = (steps ? Math.round((100 * step) / steps) : 0) + "%";
  }

  function status(panel, text, st) {
    panel.node.querySelector(".status").textContent = text;
    if (st) panel.node.dataset.state = st;
  }

  function guidanceFor(policy, scaleInput) {
    var g = { policy: policy };
    if (scaleInput.value !== "") g.scale = Number(scaleInput.value);
    return g;
  }

  // One job: POST /v1/jobs, then follow its events. Resolves when a terminal event arrives.
  async function runJob(panel, body) {
    var job = await api("POST", "/v1/jobs", body);
    panel.jobId = job.id;
    status(panel, "queued (" + job.id + ")", "running");
    var url = new URL(job.events_url, location.href);
    url.searchParams.set("access_token", state.token);
    return new Promise(function (resolve) {
      var es = new EventSource(url.toString());
      panel.es = es;
      var finish = function (st, text) {
        panel.done = true;
        es.close();
        status(panel, text, st);
        resolve(panel);
      };
      var on = function (name, fn) {
        es.addEventListener(name, function (ev) { fn(JSON.parse(ev.data)); });
      };
      on("queued", function () { status(panel, "queued"); });
      on("started", function (d) {
        panel.maxNfe = d.max_nfe;
        status(panel, "running " + d.policy + ", seed " + d.seed + ", at most " + int(d.max_nfe) + " NFE");
        setMeter(panel, 0, d.steps, 0);
      });
      on("progress", function (d) { panel.nfe = d.nfe; setMeter(panel, d.step, d.steps, d.nfe); });
      on("preview", function (d) {
        var src = "data:image/png;base64," + d.b64_png;
        var img = panel.node.querySelector(".image");
        img.src = src;
        img.dataset.kind = "preview";
        img.alt = "preview at step " + d.step;
        var thumb = document.createElement("img");
        thumb.src = src;
        thumb.title = "step " + d.step;
        thumb.alt = "";
        panel.node.querySelector(".strip").appendChild(thumb);
        panel.node.dataset.previews = String(Number(panel.node.dataset.previews) + 1);
        panel.node.dataset.state = "previewing";
      });
      on("retrying", function (d) { status(panel, "retrying (attempt " + d.attempt + "): " + d.reason); });
      on("completed", function (d) {
        var img = panel.node.querySelector(".image");
        var first = d.images[0] || {};
        img.src = first.url || (first.b64_json ? "data:image/png;base64," + first.b64_json : "");
        img.dataset.kind = "final";
        img.alt = panel.policy + ", seed " + d.seed;
        panel.nfe = d.usage.nfe;
        panel.result = d;
        if (first.b64_json) {
          var use = panel.node.querySelector(".use");
          use.hidden = false;
          use.onclick = function () {
            loadSource("data:image/png;base64," + first.b64_json, "result").catch(function (e) { showError(e.message); });
          };
        }
        var steps = Number(body.steps);
        setMeter(panel, steps, steps, d.usage.nfe, d.usage.cost_micro_usd);
        finish("completed", "completed: " + int(d.usage.nfe) + " NFE, seed " + d.seed);
      });
      on("failed", function (d) { finish("failed", "failed: " + (d.error && d.error.message)); });
      on("cancelled", function (d) {
        panel.nfe = d.usage.nfe;
        // The meter stays where the run stopped; the last preview (if any) stays as the image.
        setMeter(panel, panel.step, panel.steps || Number(body.steps), d.usage.nfe, d.usage.cost_micro_usd);
        var img = panel.node.querySelector(".image");
        if (img.getAttribute("src")) img.alt = "last preview before the cancel, step " + panel.step;
        var where = panel.step ? ", at step " + panel.step : "";
        finish("cancelled", "cancelled after " + int(d.usage.nfe) + " NFE" + where);
      });
      // EventSource reconnects by itself with Last-Event-ID (the stream replays what was missed).
      es.onerror = function () {
        if (panel.done) return;
        if (es.readyState === EventSource.CLOSED) finish("failed", "the event stream closed");
        else status(panel, "reconnecting…");
      };
    });
  }


  // The edit's source: its pixels at their own size, and a mask canvas of that size, opaque where
  // the source is kept; the brush erases it (transparent = paint there).
  function loadSource(dataUrl, origin) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        var w = img.naturalWidth, h = img.naturalHeight;
        var pixels = document.createElement("canvas");
        pixels.width = w; pixels.height = h;
        pixels.getContext("2d").drawImage(img, 0, 0);
        var mask = document.createElement("canvas");
        mask.width = w; mask.height = h;
        var m = mask.getContext("2d");
        m.fillStyle = "#000";
        m.fillRect(0, 0, w, h);
        state.source = { pixels: pixels, mask: mask, painted: false, origin: origin };
        setEditControls(true);
        drawSource();
        resolve();
      };
      img.onerror = function () { reject(new Error("That file is not an image the browser can read.")); };
      img.src = dataUrl;
    });
  }

  function setEditControls(on) {
    ["strength", "brush", "clear-mask", "drop-image"].forEach(function (id) { $(id).disabled = !on; });
    $("source-area").hidden = !on;
  }

  // The source, with the painted region tinted.
  function drawSource() {
    var s = state.source;
    var view = $("source-canvas");
    var ctx = view.getContext("2d");
    ctx.clearRect(0, 0, view.width, view.height);
    if (!s) return;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(s.pixels, 0, 0, view.width, view.height);
    var tint = document.createElement("canvas");
    tint.width = s.mask.width; tint.height = s.mask.height;
    var t = tint.getContext("2d");
    t.fillStyle = "rgba(255, 0, 90, 0.55)";
    t.fillRect(0, 0, tint.width, tint.height);
    t.globalCompositeOperation = "destination-out";
    t.drawImage(s.mask, 0, 0);
    ctx.drawImage(tint, 0, 0, view.width, view.height);
    view.dataset.painted = s.painted ? "1" : "0";
    view.dataset.origin = s.origin;
  }

  function paintAt(ev) {
    var s = state.source;
    if (!s) return;
    var view = $("source-canvas");
    var rect = view.getBoundingClientRect();
    var sx = s.mask.width / rect.width, sy = s.mask.height / rect.height;
    var m = s.mask.getContext("2d");
    m.globalCompositeOperation = "destination-out";
    m.beginPath();
    var r = (Number($("brush").value) / 2) * sx;
    m.arc((ev.clientX - rect.left) * sx, (ev.clientY - rect.top) * sy, Math.max(0.5, r), 0, 2 * Math.PI);
    m.fill();
    s.painted = true;
    drawSource();
  }

  function clearMask() {
    var s = state.source;
    if (!s) return;
    var m = s.mask.getContext("2d");
    m.globalCompositeOperation = "source-over";
    m.fillStyle = "#000";
    m.fillRect(0, 0, s.mask.width, s.mask.height);
    s.painted = false;
    drawSource();
  }

  function dropSource() {
    state.source = null;
    $("image").value = "";
    setEditControls(false);
    drawSource();
  }

  var b64Of = function (canvas) { return canvas.toDataURL("image/png").split(",")[1]; };

  // What an edit adds to a job's body: the source, its strength, the mask when something is painted.
  function editFields() {
    var s = state.source;
    if (!s) return {};
    var f = { image: b64Of(s.pixels), strength: Number($("strength").value) };
    if (s.painted) f.mask = b64Of(s.mask);
    return f;
  }

  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { reject(new Error("Could not read the file.")); };
      r.readAsDataURL(file);
    });
  }

  function summarize(panels, seed) {
    var done = panels.filter(function (p) { return p.result; });
    if (done.length < 2) { $("summary").textContent = ""; return; }
    var a = done[0], b = done[1];
    var diff = a.nfe ? Math.round((100 * (a.nfe - b.nfe)) / a.nfe) : 0;
    $("summary").textContent = "seed " + seed + ": " + a.policy + " " + int(a.nfe) + " NFE (" + money(a.nfe * state.price) +
      ") vs " + b.policy + " " + int(b.nfe) + " NFE (" + money(b.nfe * state.price) + "), " +
      (diff >= 0 ? b.policy + " used " + diff + "% fewer NFEs" : b.policy + " used " + -diff + "% more NFEs");
  }

  async function generate() {
    showError("");
    $("summary").textContent = "";
    $("panels").textContent = "";
    state.panels = [];
    // The same seed for both sides of a comparison; a random one is drawn here so it can be shown.
    var seed = $("seed").value === "" ? Math.floor(Math.random() * 4294967296) : Number($("seed").value);
    clampSteps();
    var steps = Number($("steps").value);
    $("seed-used").textContent = "seed " + seed;
    // b64_json: a result can become the next edit's source without reading a cross-origin URL.
    var base = Object.assign({
      prompt: $("prompt").value,
      steps: steps,
      seed: seed,
      preview_every: Math.max(1, Math.ceil(steps / 20)),
      response_format: "b64_json",
    }, editFields());
    if ($("negative").value.trim()) base.negative_prompt = $("negative").value.trim();
    var runs = [{ policy: $("policy").value, scale: $("scale") }];
    if ($("compare").checked) runs.push({ policy: $("policy-b").value, scale: $("scale-b") });
    var panels = runs.map(function (r) { return newPanel(r.policy); });
    $("generate").disabled = true;
    $("cancel").disabled = false;
    try {
      await Promise.all(runs.map(function (r, i) {
        var body = Object.assign({}, base, { guidance: guidanceFor(r.policy, r.scale) });
        return runJob(panels[i], body).catch(function (e) {
          panels[i].done = true;
          status(panels[i], e.message, "failed");
        });
      }));
      summarize(panels, seed);
    } finally {
      $("generate").disabled = false;
      $("cancel").disabled = true;
      refreshUsage();
    }
  }

  function cancelAll() {
    state.panels.forEach(function (p) {
      if (p.jobId && !p.done) api("POST", "/v1/jobs/" + encodeURIComponent(p.jobId) + "/cancel").catch(function (e) { showError(e.message); });
    });
  }

  async function useDevToken(tier) {
    var d = await devToken(tier);
    if (!d) return false;
    $("dev").hidden = false;
    fillSelect($("dev-tier"), d.tiers, d.tier);
    $("token").value = d.token;
    await loadAccount();
    return true;
  }

  $("auth").addEventListener("submit", function (e) { e.preventDefault(); loadAccount(); });
  $("gen").addEventListener("submit", function (e) { e.preventDefault(); generate(); });
  $("cancel").addEventListener("click", cancelAll);
  $("steps").addEventListener("input", clampSteps);
  $("steps").addEventListener("change", clampSteps);
  $("dev-tier").addEventListener("change", function () { useDevToken($("dev-tier").value); });
  $("image").addEventListener("change", function () {
    var file = $("image").files[0];
    if (!file) return;
    showError("");
    readFile(file).then(function (url) { return loadSource(url, "file"); }).catch(function (e) { showError(e.message); });
  });
  $("strength").addEventListener("input", function () {
    $("strength-value").textContent = Number($("strength").value).toFixed(2);
  });
  $("clear-mask").addEventListener("click", clearMask);
  $("drop-image").addEventListener("click", dropSource);
  $("source-canvas").addEventListener("pointerdown", function (e) {
    $("source-canvas").setPointerCapture(e.pointerId);
    paintAt(e);
  });
  $("source-canvas").addEventListener("pointermove", function (e) { if (e.buttons & 1) paintAt(e); });
  $("compare").addEventListener("change", function () {
    $("policy-b").disabled = !$("compare").checked;
    $("scale-b").disabled = !$("compare").checked;
  });
  useDevToken("").then(function (ok) {
    if (!ok) showError("Paste a bearer token to start.");
  });
})();
`;
