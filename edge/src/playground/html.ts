// The playground's markup, inlined as a string: Workers have no file system, so no asset reads.
// Static on purpose (no server-side interpolation); app.js fills everything in from the API.

export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>guidegate playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/playground/app.css">
<script src="/playground/app.js" defer></script>
</head>
<body>
<header>
  <h1>guidegate <span>playground</span></h1>
  <dl class="account">
    <dt>tier</dt><dd id="tier">–</dd>
    <dt>price</dt><dd id="price">–</dd>
    <dt>max steps</dt><dd id="max-steps">–</dd>
    <dt>this month</dt><dd id="usage">–</dd>
  </dl>
</header>

<main>
<form id="auth" autocomplete="off">
  <label for="token">token</label>
  <input id="token" name="token" type="password" placeholder="paste a bearer token (JWT)" spellcheck="false">
  <button id="load" type="submit">use token</button>
  <span id="dev" hidden>
    <label for="dev-tier">development token for tier</label>
    <select id="dev-tier"></select>
  </span>
</form>

<form id="gen" autocomplete="off">
  <div class="row">
    <label for="prompt">prompt</label>
    <input id="prompt" name="prompt" required value="a large red circle on a blue background">
  </div>
  <div class="row">
    <label for="negative">negative prompt</label>
    <input id="negative" name="negative" placeholder="optional">
  </div>
  <div class="row controls">
    <label>policy <select id="policy"></select></label>
    <label>scale <input id="scale" type="number" step="0.1" min="0" max="30" placeholder="default"></label>
    <label>steps <input id="steps" type="number" min="1" max="150" value="20">
      <small id="steps-limit" class="limit" aria-live="polite"></small></label>
    <label>seed <input id="seed" type="number" min="0" max="4294967295" placeholder="random"></label>
  </div>
  <div class="row controls">
    <label class="check"><input id="compare" type="checkbox"> side by side with</label>
    <label>policy <select id="policy-b" disabled></select></label>
    <label>scale <input id="scale-b" type="number" step="0.1" min="0" max="30" placeholder="default" disabled></label>
  </div>
  <div class="row controls edit">
    <label for="image">image</label>
    <input id="image" type="file" accept="image/png,image/jpeg,image/webp">
    <label>strength <input id="strength" type="range" min="0" max="1" step="0.05" value="0.6" disabled>
      <output id="strength-value" for="strength">0.60</output></label>
    <label>brush <input id="brush" type="range" min="2" max="64" value="24" disabled></label>
    <button id="clear-mask" type="button" disabled>clear mask</button>
    <button id="drop-image" type="button" disabled>no image</button>
  </div>
  <div class="row" id="source-area" hidden>
    <canvas id="source-canvas" width="256" height="256" data-painted="0"></canvas>
    <small id="mask-note">paint over what may change (the mask); no paint: the whole image is edited, by strength</small>
  </div>
  <div class="row actions">
    <button id="generate" type="submit" disabled>generate</button>
    <button id="cancel" type="button" disabled>cancel</button>
    <span id="seed-used"></span>
  </div>
</form>

<p id="error" role="alert"></p>
<section id="panels"></section>
<p id="summary"></p>
</main>

<template id="panel-template">
  <article class="panel" data-state="idle" data-previews="0">
    <h2 class="policy"></h2>
    <img class="image" width="256" height="256" alt="">
    <div class="bar"><div class="fill"></div></div>
    <dl class="meter">
      <dt>step</dt><dd class="step">0</dd>
      <dt>NFE</dt><dd class="nfe">0</dd>
      <dt>cost</dt><dd class="cost">$0</dd>
    </dl>
    <p class="status">waiting</p>
    <button class="use" type="button" hidden>use this result</button>
    <div class="strip"></div>
  </article>
</template>
</body>
</html>
`;
