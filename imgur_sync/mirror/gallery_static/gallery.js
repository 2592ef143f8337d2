// The offline gallery's one script (imgur_sync/mirror/gallery.py writes it beside the pages).
// It never touches the network and never parses data as HTML: text goes in as textContent.
"use strict";
(function () {
  var body = document.body;
  var up = body.getAttribute("data-up") || "";

  // An image reached from a list (#album-…, #favorites…) steps through that list.
  function followContext() {
    var context;
    try {
      context = decodeURIComponent(location.hash.slice(1));
    } catch (error) {
      return;  // a hand-edited address: the page's own steps stay
    }
    if (!context) return;
    var links = document.querySelectorAll("#contexts a[data-context]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("data-context") !== context) continue;
      ["prev", "next"].forEach(function (rel) {
        var step = document.querySelector("a[rel='" + rel + "']");
        var target = links[i].getAttribute("data-" + rel);
        if (step && target) step.setAttribute("href", target + "#" + context);
        else if (step) step.removeAttribute("href");
      });
      return;
    }
  }

  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
    var rel = event.key === "ArrowLeft" ? "prev" : event.key === "ArrowRight" ? "next" : null;
    if (rel === null) return;
    var link = document.querySelector("a[rel='" + rel + "'][href]");
    if (link) {
      event.preventDefault();
      location.href = link.href;
    }
  }

  var LIMIT = 200;
  var loading = false;
  var pending = "";
  var haystack = null;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showResults(query) {
    var results = document.getElementById("results");
    var main = document.querySelector("main");
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) {
      results.hidden = true;
      main.hidden = false;
      return;
    }
    var found = [];
    var items = window.GALLERY_INDEX.items;
    if (!haystack) {
      haystack = items.map(function (item) {
        return ((item[1] || "") + "\n" + (item[2] || "")).toLowerCase();
      });
    }
    for (var i = 0; i < items.length && found.length < LIMIT; i++) {
      var text = haystack[i];
      if (words.every(function (word) { return text.indexOf(word) !== -1; })) found.push(items[i]);
    }
    results.textContent = "";
    var shown = found.length >= LIMIT ? "the first " + LIMIT : String(found.length);
    results.appendChild(element("h1", "", "Search: " + shown + " found"));
    var grid = element("ul", "grid");
    found.forEach(function (item) {
      var tile = element("li", "tile");
      var link = element("a");
      link.href = up + item[3];
      var frame = element("span", "frame");
      if (item[4]) {
        var img = element("img");
        img.loading = "lazy";
        img.alt = "";
        img.src = up + item[4];
        frame.appendChild(img);
      } else {
        frame.textContent = item[0];
      }
      link.appendChild(frame);
      link.appendChild(element("span", "caption", item[1] || "(untitled " + item[0] + ")"));
      tile.appendChild(link);
      grid.appendChild(tile);
    });
    results.appendChild(grid);
    main.hidden = true;
    results.hidden = false;
  }

  function addScript(name, done) {
    var script = document.createElement("script");
    script.src = up + ".gallery/" + name;
    script.onload = done;
    script.onerror = done;  // a shard that cannot be read: search what could
    document.head.appendChild(script);
  }

  // The index is scripts of its own, loaded on the first search: from file:// a page may
  // not fetch() a JSON file, and most visits never search. search-index.js says how many
  // shards there are (a few thousand entries each, so none is huge); all are loaded, then
  // joined into one list.
  function search(query) {
    pending = query;
    if (window.GALLERY_INDEX && window.GALLERY_INDEX.items) return showResults(query);
    if (loading) return;
    loading = true;
    addScript("search-index.js", function () {
      var count = (window.GALLERY_INDEX && window.GALLERY_INDEX.shards) || 0;
      var left = count;
      function joined() {
        var items = [];
        for (var n = 1; n <= count; n++) {
          var shard = window["GALLERY_INDEX_" + n];
          if (shard && shard.items) items = items.concat(shard.items);
        }
        window.GALLERY_INDEX = {items: items};
        showResults(pending);
      }
      if (!count) return joined();
      for (var n = 1; n <= count; n++) {
        addScript("search-index-" + n + ".js", function () {
          if (--left === 0) joined();
        });
      }
    });
  }

  followContext();
  document.addEventListener("keydown", onKey);
  var box = document.getElementById("search");
  if (box) {
    box.addEventListener("input", function () { search(box.value); });
    if (box.value) search(box.value);
  }
})();
