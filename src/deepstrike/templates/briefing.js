// The briefing's only script besides plotly.js: the contents menu on narrow screens, the
// current section in the sidebar, and judgments read in full. Plain JS, no library, nothing
// fetched: it works from file://. Without it the contents are a plain list at the top.
(function () {
  "use strict";
  var nav = document.getElementById("toc");
  var toggle = document.querySelector(".menu-toggle");
  var narrow = window.matchMedia("(max-width: 1099.98px)");

  function setMenu(open) {
    if (!nav || !toggle) return;
    nav.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      setMenu(!nav.classList.contains("open"));
    });
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") setMenu(false);
  });

  // Links of the contents and the sections they point to, in page order.
  var links = nav ? Array.prototype.slice.call(nav.querySelectorAll('a[href^="#"]')) : [];
  var entries = [];
  links.forEach(function (a) {
    var target = document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
    if (target) entries.push({ link: a, target: target });
  });
  if (nav) {
    nav.addEventListener("click", function (e) {
      var a = e.target.closest ? e.target.closest("a") : null;
      if (a && narrow.matches) setMenu(false);
      if (a) {
        // Open the clicked chapter's sub-list at once (the scroll handler confirms it).
        mark(entryOf(a));
      }
    });
  }
  function entryOf(a) {
    for (var i = 0; i < entries.length; i++) if (entries[i].link === a) return entries[i];
    return null;
  }

  var current = null;
  function mark(entry) {
    if (!entry || entry === current) return;
    if (current) {
      current.link.classList.remove("current");
      current.link.removeAttribute("aria-current");
    }
    current = entry;
    entry.link.classList.add("current");
    entry.link.setAttribute("aria-current", "location");
    var chapters = nav.querySelectorAll(".toc-chapter");
    for (var i = 0; i < chapters.length; i++) {
      chapters[i].classList.toggle("open", chapters[i].contains(entry.link));
    }
    // Keep the highlighted link in view inside the sidebar (never scrolls the page).
    if (!narrow.matches) {
      var top = entry.link.offsetTop, bottom = top + entry.link.offsetHeight;
      if (top < nav.scrollTop + 40) nav.scrollTop = Math.max(0, top - 40);
      else if (bottom > nav.scrollTop + nav.clientHeight - 40) {
        nav.scrollTop = bottom - nav.clientHeight + 40;
      }
    }
  }
  // The current section is the last one whose heading is above a line near the top.
  function update() {
    var line = narrow.matches ? 60 : 24;
    var found = entries.length ? entries[0] : null;
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].target.getBoundingClientRect().top <= line) {
        if (!found || entries[i].target.getBoundingClientRect().top >= found.target.getBoundingClientRect().top) {
          found = entries[i];
        }
      }
    }
    mark(found);
  }
  var queued = false;
  window.addEventListener("scroll", function () {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () {
      queued = false;
      update();
    });
  }, { passive: true });
  window.addEventListener("resize", update);
  window.addEventListener("hashchange", update);
  update();

  // Key judgments: clamped to two lines; a click (or the "more" button) shows them in full.
  function expandable(box, button) {
    function flip() {
      var open = box.classList.toggle("expanded");
      if (button) button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    box.addEventListener("click", function (e) {
      if (e.target.closest && e.target.closest("a")) return;
      flip();
    });
    if (button) button.addEventListener("click", flip);
  }
  var boxes = document.querySelectorAll(".kj-text");
  for (var i = 0; i < boxes.length; i++) {
    var box = boxes[i];
    var clamped = box.classList.contains("clamp");
    if (clamped && box.scrollHeight <= box.clientHeight + 2) continue;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "more";
    button.title = "read the judgment in full";
    button.setAttribute("aria-label", "read the judgment in full");
    button.setAttribute("aria-expanded", "false");
    box.parentNode.insertBefore(button, box.parentNode.firstChild);
    expandable(box, button);
  }

  // A long 'since the previous edition' list starts folded.
  var since = document.querySelector(".since");
  if (since) {
    var items = since.querySelectorAll(".since-items li");
    if (items.length > 3) {
      since.classList.add("collapsed");
      var more = document.createElement("button");
      more.type = "button";
      more.className = "since-toggle";
      more.textContent = "show all " + items.length;
      more.addEventListener("click", function () {
        var folded = since.classList.toggle("collapsed");
        more.textContent = folded ? "show all " + items.length : "fold";
      });
      since.querySelector(".since-head").appendChild(document.createTextNode(" "));
      since.querySelector(".since-head").appendChild(more);
    }
  }
})();

// What-if sliders: each position is a point precomputed at build time (deepstrike.whatif):
// its headline HTML, and how the main chart differs from the one on the page. Nothing is
// computed here beyond picking the point and merging the difference into the figure.
(function () {
  "use strict";
  function copy(v) { return JSON.parse(JSON.stringify(v)); }
  function merge(base, diff) {
    Object.keys(diff).forEach(function (k) {
      if (diff[k] === null) delete base[k];
      else base[k] = copy(diff[k]);
    });
    return base;
  }
  Array.prototype.forEach.call(document.querySelectorAll(".whatif"), function (box) {
    var script = box.querySelector(".whatif-data");
    if (!script) return;
    var spec = JSON.parse(script.textContent);
    var headline = document.querySelector('[data-headline="' + box.dataset.chapter + '"]');
    var original = headline ? headline.innerHTML : null;
    var sliders = Array.prototype.slice.call(box.querySelectorAll('input[type="range"]'));
    var gd = document.getElementById(spec.figure);
    var base = null;  // the figure as first drawn: the scenario's point
    function baseFigure() {
      if (!base && gd && gd.data) base = { data: copy(gd.data), layout: copy(gd.layout) };
      return base;
    }
    function show() {
      var index = 0;
      sliders.forEach(function (s, i) {
        var at = Number(s.value);
        index += at * spec.strides[i];
        var out = s.parentNode.querySelector("output");
        if (out) out.textContent = JSON.parse(s.dataset.labels)[at];
      });
      var point = spec.points[index];
      if (!point) return;
      var isDefault = sliders.every(function (s, i) { return Number(s.value) === spec.defaults[i]; });
      box.classList.toggle("moved", !isDefault);
      var now = box.querySelector(".whatif-now");
      if (now) now.innerHTML = isDefault && original !== null ? original : point.headline;
      if (headline) {
        headline.innerHTML = isDefault ? original : point.headline;
        headline.classList.toggle("whatif-moved", !isDefault);
      }
      var b = baseFigure();
      if (!b || !window.Plotly) return;
      var f = point.figure || {};
      var data = f.traces ? copy(f.traces) : copy(b.data);
      if (f.data) Object.keys(f.data).forEach(function (i) { merge(data[Number(i)], f.data[i]); });
      var layout = merge(copy(b.layout), f.layout || {});
      window.Plotly.react(gd, data, layout);
      box.dataset.point = String(index);
    }
    sliders.forEach(function (s) { s.addEventListener("input", show); });
    var reset = box.querySelector(".whatif-reset");
    if (reset) {
      reset.addEventListener("click", function () {
        sliders.forEach(function (s, i) { s.value = String(spec.defaults[i]); });
        show();
      });
    }
  });
})();
