// masthead preview: shows the document chosen in both editions and follows the server's state
// (Server-Sent Events). Changes are applied in place, so scroll positions stay where they are.
"use strict";
(() => {
  const base = document.documentElement.dataset.base;
  const $ = (id) => document.getElementById(id);
  const ui = {
    title: $("issue-title"), status: $("status"), select: $("document"),
    previous: $("previous"), next: $("next"), views: $("views"), night: $("night"),
    smaller: $("smaller"), larger: $("larger"), scale: $("scale"), frame: $("epub-frame"),
    epubEmpty: $("epub-empty"), epubWhere: $("epub-where"), pages: $("pdf-pages"),
    pdfEmpty: $("pdf-empty"), pdfWhere: $("pdf-where"), error: $("error"),
    errorWhere: $("error-where"), errorMessage: $("error-message"),
    warningsToggle: $("warnings-toggle"), warnings: $("warnings"), warningList: $("warning-list"),
    download: $("download"),
  };
  const XHTML = "http://www.w3.org/1999/xhtml";
  const SCALES = [70, 80, 90, 100, 110, 120, 135, 150, 175, 200];
  const stored = (key, fallback) => {
    try { const value = JSON.parse(localStorage.getItem("masthead-preview-" + key)); return value ?? fallback; }
    catch { return fallback; }
  };
  const store = (key, value) => {
    try { localStorage.setItem("masthead-preview-" + key, JSON.stringify(value)); } catch { /* private mode */ }
  };
  const prefs = { night: stored("night", false), scale: stored("scale", 100), view: stored("view", "both") };

  let state = null;
  let current = decodeURIComponent((location.hash.match(/doc=([^&]+)/) || [])[1] || "");
  // What each view shows now: compared with the state to know what to fetch again.
  const shown = { epub: { file: null, version: -1, stylesheet: -1, assets: -1 }, pdf: { file: null, version: -1, pages: "" } };
  let epubTask = 0;
  let pdfTask = 0;

  const documentOf = (file) => state && state.documents.find((d) => d.file === file);
  const pageLabel = (pages) => pages.length === 0 ? "" : pages.length === 1 ? `p. ${pages[0]}` : `pp. ${pages[0]}–${pages[pages.length - 1]}`;

  // --- the server's state -------------------------------------------------------------------

  function apply(next) {
    state = next;
    ui.title.textContent = state.title;
    document.title = `${state.title} · masthead preview`;
    showStatus();
    showProblems();
    fillSelect();
    if (state.documents.length && !documentOf(current)) current = state.documents[0].file;
    ui.epubEmpty.hidden = state.documents.length > 0;
    if (state.pdf) {
      ui.download.hidden = false;
      ui.download.href = state.pdf.download;
    }
    showDocument();
  }

  function showStatus() {
    const building = [];
    if (state.building.epub) building.push("EPUB");
    if (state.building.pdf) building.push("PDF");
    const times = Object.entries(state.timings).map(([k, v]) => `${k.toUpperCase()} ${v.toFixed(2)} s`).join(", ");
    ui.status.classList.toggle("busy", building.length > 0);
    ui.status.textContent = building.length ? `Rebuilding ${building.join(" and ")}…` : times ? `Up to date · last rebuilt in ${times}` : "Up to date";
  }

  function showProblems() {
    const error = state.error;
    ui.error.hidden = !error;
    if (error) {
      ui.errorWhere.textContent = error.where ? `${error.where}:` : "";
      if (error.link) ui.errorWhere.href = error.link; else ui.errorWhere.removeAttribute("href");
      ui.errorMessage.textContent = error.message + (error.hint ? ` — ${error.hint}` : "");
    }
    const count = state.warnings.length;
    ui.warningsToggle.textContent = count ? `⚠ ${count} warning${count === 1 ? "" : "s"}` : "No warnings";
    ui.warningsToggle.classList.toggle("has-warnings", count > 0);
    ui.warningList.replaceChildren(...state.warnings.map((warning) => {
      const item = document.createElement("li");
      if (warning.where) {
        const where = document.createElement(warning.link ? "a" : "span");
        where.className = "where";
        where.textContent = warning.where;
        if (warning.link) { where.href = warning.link; where.target = "_blank"; where.rel = "noopener"; }
        item.append(where);
      }
      item.append(document.createTextNode(warning.message));
      return item;
    }));
    if (!count) ui.warnings.hidden = true;
    ui.warningsToggle.setAttribute("aria-expanded", String(!ui.warnings.hidden));
  }

  function fillSelect() {
    const wanted = state.documents.map((d) => `${d.file}\u0000${d.title}`).join("\u0001");
    if (ui.select.dataset.list !== wanted) {
      ui.select.replaceChildren(...state.documents.map((d, i) => {
        const label = d.kind === "article" ? `${i - 1}. ${d.title}` : d.title;
        return new Option(label, d.file);
      }));
      ui.select.dataset.list = wanted;
    }
    ui.select.value = current;
  }

  // --- choosing a document --------------------------------------------------------------------

  function go(file) {
    if (!documentOf(file) || file === current) return;
    current = file;
    history.replaceState(null, "", `#doc=${encodeURIComponent(file)}`);
    ui.select.value = file;
    showDocument();
  }

  function step(delta) {
    if (!state) return;
    const index = state.documents.findIndex((d) => d.file === current);
    const target = state.documents[index + delta];
    if (target) go(target.file);
  }

  function showDocument() {
    const doc = documentOf(current);
    if (!doc) return;
    const index = state.documents.indexOf(doc);
    ui.previous.disabled = index <= 0;
    ui.next.disabled = index >= state.documents.length - 1;
    ui.epubWhere.textContent = doc.file;
    ui.pdfWhere.textContent = pageLabel(doc.pages);
    updateEpub(doc);
    updatePdf(doc);
  }

  // --- the EPUB view ------------------------------------------------------------------------

  function frameDocument() {
    try { return ui.frame.contentDocument; } catch { return null; }
  }

  function updateEpub(doc) {
    const same = shown.epub.file === doc.file;
    if (!same || state.assets !== shown.epub.assets) {
      // Another document, or an image changed on disk: load it anew (keeping the place).
      loadFrame(doc, same ? scrollOf() : 0);
    } else if (doc.version !== shown.epub.version) {
      patchFrame(doc);
    } else if (state.stylesheet !== shown.epub.stylesheet) {
      reloadStylesheet();
    }
  }

  function scrollOf() {
    const win = ui.frame.contentWindow;
    return win ? win.scrollY : 0;
  }

  function loadFrame(doc, scroll) {
    const task = ++epubTask;
    const version = doc.version;
    const assets = state.assets;
    const stylesheet = state.stylesheet;
    ui.frame.onload = () => {
      if (task !== epubTask) return;
      shown.epub = { file: doc.file, version, stylesheet, assets };
      readerSettings();
      followLinks();
      const win = ui.frame.contentWindow;
      if (win && scroll) win.scrollTo(0, scroll);
      ui.frame.dataset.version = String(version);
    };
    ui.frame.src = `${base}epub/${encodeURIComponent(doc.file)}?v=${version}.${assets}`;
  }

  async function patchFrame(doc) {
    // The new XHTML's body in place of the old: no reload, no flash, the scroll stays.
    const task = ++epubTask;
    const version = doc.version;
    let text = null;
    try {
      const response = await fetch(`${base}epub/${encodeURIComponent(doc.file)}`, { cache: "no-store" });
      if (response.ok) text = await response.text();
    } catch { /* The server stopped: the event stream says so, and comes back with it. */ }
    if (task !== epubTask) return;
    if (text === null) { loadFrame(doc, scrollOf()); return; }
    const parsed = new DOMParser().parseFromString(text, "application/xhtml+xml");
    const target = frameDocument();
    if (task !== epubTask) return;
    if (!target || !target.body || !parsed.body || parsed.querySelector("parsererror")) {
      loadFrame(doc, scrollOf());
      return;
    }
    target.body.replaceWith(target.importNode(parsed.body, true));
    if (parsed.title) target.title = parsed.title;
    shown.epub.version = version;
    if (state.stylesheet !== shown.epub.stylesheet) reloadStylesheet();
    readerSettings();
    ui.frame.dataset.version = String(version);
  }

  function reloadStylesheet() {
    const target = frameDocument();
    if (!target) return;
    for (const link of target.querySelectorAll('link[rel="stylesheet"]')) {
      const href = link.getAttribute("href").replace(/\?.*$/, "");
      link.setAttribute("href", `${href}?v=${state.stylesheet}`);
    }
    shown.epub.stylesheet = state.stylesheet;
  }

  function readerSettings() {
    // What a reading system does to a book: its own text size and night colours.
    const target = frameDocument();
    if (!target || !target.documentElement) return;
    let style = target.getElementById("masthead-reader");
    if (!style) {
      style = target.createElementNS(XHTML, "style");
      style.id = "masthead-reader";
      (target.head || target.documentElement).append(style);
    }
    style.textContent = `html { font-size: ${prefs.scale}% !important; padding: 1.2em 0 2.5em; }` +
      (prefs.night
        ? "html, body { background: #17181c !important; color: #d8d3c6 !important; }" +
          " a { color: #94b4ff !important; } img { filter: brightness(0.88); }"
        : "html { background: #fffdf8; color: #1b1a17; }");
  }

  function followLinks() {
    // Links between the documents move both views; others open outside the preview.
    const target = frameDocument();
    if (!target) return;
    target.addEventListener("click", (event) => {
      const link = event.target.closest && event.target.closest("a[href]");
      if (!link) return;
      const href = link.getAttribute("href");
      if (href.startsWith("#")) return;
      event.preventDefault();
      const url = new URL(href, target.baseURI);
      const file = decodeURIComponent(url.pathname.split("/").pop());
      if (url.origin === location.origin && documentOf(file)) go(file);
      else if (url.protocol === "http:" || url.protocol === "https:") window.open(url.href, "_blank", "noopener");
    });
  }

  // --- the PDF view -------------------------------------------------------------------------

  function updatePdf(doc) {
    if (!state.pdf) { ui.pdfEmpty.hidden = false; return; }
    ui.pdfEmpty.hidden = true;
    const pages = doc.pages.join(",");
    if (shown.pdf.file !== doc.file) {
      ui.pages.replaceChildren();
      ui.pages.parentElement.scrollTop = 0;
    } else if (shown.pdf.version === state.pdf.version && shown.pdf.pages === pages) {
      return;
    }
    shown.pdf = { file: doc.file, version: state.pdf.version, pages };
    const task = ++pdfTask;
    const version = state.pdf.version;
    const figures = [...ui.pages.children];
    doc.pages.forEach((number, i) => {
      let figure = figures[i];
      if (!figure) {
        figure = newPage();
        ui.pages.append(figure);
      }
      loadPage(figure, number, version, task);
    });
    figures.slice(doc.pages.length).forEach((figure) => figure.remove());
  }

  function newPage() {
    const figure = document.createElement("figure");
    figure.className = "pdf-page";
    const sheet = document.createElement("div");
    sheet.className = "sheet";
    sheet.style.aspectRatio = "210 / 297";
    const image = document.createElement("img");
    image.alt = "";
    const layer = document.createElement("div");
    layer.className = "text-layer";
    sheet.append(image, layer);
    figure.append(sheet, document.createElement("figcaption"));
    return figure;
  }

  async function loadPage(figure, number, version, task) {
    // The new image is loaded before it replaces the old one: the page never goes blank.
    const url = `${base}pdf/${version}/${number}`;
    const [text] = await Promise.all([
      fetch(`${url}.json`).then((r) => r.ok ? r.json() : null).catch(() => null),
      new Promise((resolve) => {
        const image = new Image();
        image.onload = image.onerror = resolve;
        image.src = `${url}.jpg`;
      }),
    ]);
    if (task !== pdfTask || !text) return;
    const sheet = figure.querySelector(".sheet");
    sheet.style.aspectRatio = `${text.width} / ${text.height}`;
    const image = sheet.querySelector("img");
    image.src = `${url}.jpg`;
    image.alt = `Page ${number} of the PDF edition`;
    sheet.querySelector(".text-layer").replaceChildren(...text.runs.map((run) => {
      const span = document.createElement("span");
      // Each run is a line: the space keeps words apart when lines are selected, copied or
      // searched together ("by the" + "pier" reads "by the pier", not "by thepier").
      span.textContent = `${run.text} `;
      span.style.left = `${run.x * 100}%`;
      span.style.top = `${run.y * 100}%`;
      span.style.setProperty("--h", String(run.h));
      return span;
    }));
    figure.querySelector("figcaption").textContent = `Page ${number}`;
    figure.dataset.page = String(number);
    figure.dataset.version = String(version);
  }

  // --- controls -----------------------------------------------------------------------------

  function setView(view) {
    prefs.view = view;
    store("view", view);
    ui.views.dataset.view = view;
    for (const button of document.querySelectorAll("button.view")) {
      button.setAttribute("aria-pressed", String(button.dataset.view === view));
    }
  }

  function setReader() {
    document.body.classList.toggle("night", prefs.night);
    ui.night.setAttribute("aria-pressed", String(prefs.night));
    ui.scale.textContent = `${prefs.scale}%`;
    ui.smaller.disabled = prefs.scale <= SCALES[0];
    ui.larger.disabled = prefs.scale >= SCALES[SCALES.length - 1];
    store("night", prefs.night);
    store("scale", prefs.scale);
    readerSettings();
  }

  function resize(delta) {
    const index = SCALES.indexOf(prefs.scale);
    const next = SCALES[Math.min(SCALES.length - 1, Math.max(0, (index < 0 ? 3 : index) + delta))];
    prefs.scale = next;
    setReader();
  }

  ui.select.addEventListener("change", () => go(ui.select.value));
  ui.previous.addEventListener("click", () => step(-1));
  ui.next.addEventListener("click", () => step(1));
  ui.night.addEventListener("click", () => { prefs.night = !prefs.night; setReader(); });
  ui.smaller.addEventListener("click", () => resize(-1));
  ui.larger.addEventListener("click", () => resize(1));
  for (const button of document.querySelectorAll("button.view")) {
    button.addEventListener("click", () => setView(button.dataset.view));
  }
  ui.warningsToggle.addEventListener("click", () => {
    if (!state || !state.warnings.length) return;
    ui.warnings.hidden = !ui.warnings.hidden;
    ui.warningsToggle.setAttribute("aria-expanded", String(!ui.warnings.hidden));
  });
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.target.closest("select, input, textarea")) return;
    if (event.key === "ArrowLeft") step(-1);
    if (event.key === "ArrowRight") step(1);
  });
  window.addEventListener("hashchange", () => {
    const file = decodeURIComponent((location.hash.match(/doc=([^&]+)/) || [])[1] || "");
    if (file) go(file);
  });
  setView(prefs.view);
  setReader();

  const events = new EventSource(`${base}events`);
  events.addEventListener("state", (event) => apply(JSON.parse(event.data)));
})();
