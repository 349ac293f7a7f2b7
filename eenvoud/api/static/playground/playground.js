// The Eenvoud playground: edit a rule file, see its diagnostics as you type, hover a name for its
// label and type, decide a case from a facts form, run the file's tests and its analysis.
// Plain JavaScript with no dependencies and no build step; it talks only to the server that
// served it (the routes of eenvoud/api/routes/playground.py).
//
// The editor is a <textarea> over two layers in the same monospaced cells: the text coloured by the
// shared highlighter (/static/highlight.js, the TextMate grammar VS Code uses), and the squiggles of
// the diagnostics. Not a vendored editor bundle (CodeMirror and the like): nothing to build from npm,
// pin and keep up to date in the package, the colours are the one grammar's, and a textarea keeps
// the browser's own editing, undo, selection and accessibility. What it lacks (completion, folding)
// is what `eenvoud lsp` gives in VS Code.
(function () {
  "use strict";

  const CHECK_DELAY = 300; // ms after the last keystroke
  const HOVER_DELAY = 250;
  const ANALYSIS_RETRIES = 40; // times the page asks again while an analysis is still running

  const $ = (id) => document.getElementById(id);
  const editor = $("editor");
  const highlight = $("highlight");
  const marks = $("marks");
  const gutter = $("gutter");
  const tooltip = $("tooltip");

  const state = {
    file: null,
    edited: false, // the text was changed since it was loaded
    regulation: null, // the last regulation that checked: its inputs build the facts form
    diagnostics: [],
    checkSeq: 0,
    checkTimer: null,
    hoverTimer: null,
    hoverKey: null,
    hoverSeq: 0,
    caretTimer: null,
    caretSeq: 0,
    analysisSeq: 0,
  };

  // -- talking to the server ---------------------------------------------------------------------

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    return { status: response.status, data, retryAfter: response.headers.get("Retry-After") };
  }

  function problemText(data) {
    // a 4xx answer: {"detail": "..."} or {"detail": [{"loc": [...], "msg": "..."}]}
    if (!data || data.detail === undefined) return "the server could not answer";
    if (typeof data.detail === "string") return data.detail;
    return data.detail.map((d) => {
      const where = (d.loc || []).filter((x) => x !== "body").join(".");
      return (where ? where + ": " : "") + d.msg;
    }).join("\n");
  }

  function textBody(extra) {
    return Object.assign({ text: editor.value, file: state.file }, extra || {});
  }

  function setStatus(text, cls) {
    const s = $("status");
    s.textContent = text;
    s.className = cls || "";
  }

  // -- building DOM ------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // replaceChildren without the nulls and falses of optional parts (the DOM would write "null")
  function put(node, ...children) {
    node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  }

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // -- the editor's layers -----------------------------------------------------------------------

  function highlighted(text) {
    if (typeof window.eenvoudHighlight === "function") {
      try { return window.eenvoudHighlight(text); } catch (e) { console.warn("eenvoudHighlight failed", e); }
    }
    return escapeHtml(text);
  }

  function lineStarts(text) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
    return starts;
  }

  function offsetOf(starts, text, line, column) {
    if (!line) return null;
    const l = Math.min(Math.max(line, 1), starts.length);
    return Math.min(starts[l - 1] + Math.max(column || 1, 1) - 1, text.length);
  }

  function renderMarks() {
    const text = editor.value;
    const starts = lineStarts(text);
    const ranges = [];
    for (const d of state.diagnostics) {
      const start = offsetOf(starts, text, d.line, d.column);
      if (start === null) continue;
      let end = offsetOf(starts, text, d.end_line || d.line, d.end_column || d.column);
      if (end === null || end <= start) end = Math.min(start + 1, text.length);
      if (end === start && start > 0) ranges.push([start - 1, start, d]); // at the end of the text
      else ranges.push([start, end, d]);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    let html = "";
    let at = 0;
    for (const [start, end, d] of ranges) {
      if (start < at) continue; // overlapping marks: the first one wins
      html += escapeHtml(text.slice(at, start));
      html += `<mark class="${d.severity === "warning" ? "warning" : "error"}">` + escapeHtml(text.slice(start, end)) + "</mark>";
      at = end;
    }
    marks.innerHTML = html + escapeHtml(text.slice(at)) + "\n\n";
  }

  function renderLayers() {
    const text = editor.value;
    highlight.innerHTML = highlighted(text) + "\n\n"; // room for the textarea's own scrollbar
    const lines = lineStarts(text).length;
    let numbers = "";
    for (let i = 1; i <= lines; i++) numbers += i + "\n";
    gutter.textContent = numbers + "\n";
    renderMarks();
    syncScroll();
  }

  function syncScroll() {
    for (const layer of [highlight, marks]) {
      layer.scrollTop = editor.scrollTop;
      layer.scrollLeft = editor.scrollLeft;
    }
    gutter.scrollTop = editor.scrollTop;
  }

  // the size of one character cell: the editor's font is monospaced, lines do not wrap
  function metrics() {
    const style = getComputedStyle(editor);
    const probe = el("span", { text: "x".repeat(100) });
    probe.style.font = style.font;
    probe.style.position = "absolute";
    probe.style.visibility = "hidden";
    probe.style.whiteSpace = "pre";
    document.body.append(probe);
    const width = probe.getBoundingClientRect().width / 100;
    probe.remove();
    return {
      charWidth: width,
      lineHeight: parseFloat(style.lineHeight),
      padLeft: parseFloat(style.paddingLeft),
      padTop: parseFloat(style.paddingTop),
    };
  }

  // (line, column), 1-based, of a point in the page; null outside the text
  function positionAt(clientX, clientY) {
    const m = metrics();
    const rect = editor.getBoundingClientRect();
    const x = clientX - rect.left - m.padLeft + editor.scrollLeft;
    const y = clientY - rect.top - m.padTop + editor.scrollTop;
    if (x < 0 || y < 0) return null;
    return { line: Math.floor(y / m.lineHeight) + 1, column: Math.floor(x / m.charWidth) + 1 };
  }

  // the point in the page at the middle of a character (for tests and for the tooltip)
  function pointAt(line, column) {
    const m = metrics();
    const rect = editor.getBoundingClientRect();
    return {
      x: rect.left + m.padLeft + (column - 0.5) * m.charWidth - editor.scrollLeft,
      y: rect.top + m.padTop + (line - 0.5) * m.lineHeight - editor.scrollTop,
    };
  }

  function reveal(line, column) {
    const m = metrics();
    const top = (line - 1) * m.lineHeight;
    if (top < editor.scrollTop || top > editor.scrollTop + editor.clientHeight - 2 * m.lineHeight) {
      editor.scrollTop = Math.max(0, top - editor.clientHeight / 3);
    }
    const left = ((column || 1) - 1) * m.charWidth;
    if (left < editor.scrollLeft || left > editor.scrollLeft + editor.clientWidth - 4 * m.charWidth) {
      editor.scrollLeft = Math.max(0, left - editor.clientWidth / 3);
    }
    syncScroll();
  }

  function goTo(line, column) {
    const text = editor.value;
    const offset = offsetOf(lineStarts(text), text, line, column);
    editor.focus();
    editor.setSelectionRange(offset, offset);
    reveal(line, column);
  }

  // -- diagnostics as you type -------------------------------------------------------------------

  function scheduleCheck() {
    clearTimeout(state.checkTimer);
    state.checkTimer = setTimeout(check, CHECK_DELAY);
  }

  async function check() {
    const seq = ++state.checkSeq;
    setStatus("checking…", "busy");
    let answer;
    try {
      answer = await post("/playground/check", textBody());
    } catch (e) {
      if (seq === state.checkSeq) setStatus("the server does not answer", "problem");
      return;
    }
    if (seq !== state.checkSeq) return; // a later edit was checked (or is being checked) since
    if (answer.status !== 200) {
      state.diagnostics = [{ code: "request", severity: "error", message: problemText(answer.data), line: null }];
    } else {
      state.diagnostics = answer.data.diagnostics;
      if (answer.data.ok) setRegulation(answer.data.regulation);
    }
    renderDiagnostics(answer.status === 200 && answer.data.ok);
    renderMarks();
  }

  function renderDiagnostics(ok) {
    const list = $("diagnostics");
    list.replaceChildren();
    const errors = state.diagnostics.filter((d) => d.severity !== "warning").length;
    const warnings = state.diagnostics.length - errors;
    for (const d of state.diagnostics) {
      const where = d.line ? `${d.line}:${d.column}` : d.file || "";
      list.append(el("li", {
        class: `diagnostic ${d.severity === "warning" ? "warning" : "error"}`,
        "data-code": d.code, "data-line": d.line || "",
        title: d.line ? "go to the place" : null,
        onclick: () => { if (d.line) goTo(d.line, d.column); },
      },
      el("span", { class: "where", text: where }),
      el("span", { class: "code", text: `${d.severity}[${d.code}]` }), " ",
      el("span", { class: "message", text: d.message }),
      d.help ? el("div", { class: "help", text: "help: " + d.help }) : null));
    }
    $("diagnostic-count").textContent = state.diagnostics.length
      ? `${errors} error${errors === 1 ? "" : "s"}${warnings ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`
      : "";
    if (ok && errors === 0) {
      list.append(el("li", { class: "clean", id: "no-errors", text: "No errors: the file checks." }));
      setStatus(`${state.regulation ? state.regulation.name : "the file"} checks`, "ok");
    } else {
      setStatus(`${errors} error${errors === 1 ? "" : "s"}`, "problem");
    }
    for (const button of ["decide", "run-tests", "analyze"]) $(button).disabled = !(ok && errors === 0);
  }

  // -- hover: the label and type of the name under the pointer -----------------------------------

  function hideTooltip() {
    tooltip.hidden = true;
    state.hoverKey = null;
  }

  function onPointerMove(event) {
    clearTimeout(state.hoverTimer);
    const x = event.clientX;
    const y = event.clientY;
    state.hoverTimer = setTimeout(() => hoverAt(x, y), HOVER_DELAY);
  }

  function wordAt(line, column) {
    const text = editor.value.split("\n")[line - 1];
    if (text === undefined) return null;
    const re = /[A-Za-z_][A-Za-z0-9_]*/g;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m.index < column && column <= m.index + m[0].length) return { word: m[0], start: m.index + 1 };
    }
    return null;
  }

  async function hoverAt(x, y) {
    const pos = positionAt(x, y);
    const word = pos && wordAt(pos.line, pos.column);
    if (!word) { hideTooltip(); return; }
    const key = `${pos.line}:${word.start}:${word.word}`;
    if (key === state.hoverKey && !tooltip.hidden) return;
    state.hoverKey = key;
    const seq = ++state.hoverSeq;
    let answer;
    try {
      answer = await post("/playground/hover", textBody({ line: pos.line, column: pos.column, date: $("date").value || null }));
    } catch (e) { return; }
    if (seq !== state.hoverSeq || answer.status !== 200 || !answer.data.kind) {
      if (seq === state.hoverSeq) hideTooltip();
      return;
    }
    showTooltip(answer.data, x, y);
  }

  // the same for the name at the text cursor, in a line below the editor (for the keyboard)
  function onCaretMove() {
    clearTimeout(state.caretTimer);
    state.caretTimer = setTimeout(caretInfo, HOVER_DELAY);
  }

  async function caretInfo() {
    const before = editor.value.slice(0, editor.selectionStart);
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    const out = $("cursor-info");
    if (!wordAt(line, column) && !wordAt(line, column - 1)) { out.replaceChildren(); return; }
    const seq = ++state.caretSeq;
    let answer;
    try {
      answer = await post("/playground/hover", textBody({ line, column, date: $("date").value || null }));
    } catch (e) { return; }
    if (seq !== state.caretSeq) return;
    const info = answer.status === 200 ? answer.data : null;
    if (!info || !info.kind) { out.replaceChildren(); return; }
    const parts = [info.label, info.type, info.registry, info.value ? "value " + info.value : null,
      info.formula ? "= " + info.formula : null].filter((x) => x);
    put(out, el("span", { class: "name", text: info.name }), ` (${info.kind})`, parts.length ? ": " + parts.join(" · ") : "");
  }

  function showTooltip(info, x, y) {
    const domain = info.domain && Object.keys(info.domain).length ? describeDomain(info.domain, info.type) : null;
    put(tooltip,
      el("div", {}, el("span", { class: "name", text: info.name }), " ", el("span", { class: "kind", text: info.kind })),
      info.label ? el("div", { class: "label", text: info.label }) : null,
      info.type ? el("div", { class: "type", text: info.type }) : null,
      domain ? el("div", { class: "domain", text: domain }) : null,
      info.registry ? el("div", { class: "registry", text: info.registry }) : null,
      info.value ? el("div", { class: "value", text: "value on the reference date: " + info.value }) : null,
      info.article ? el("div", { class: "article", text: info.article }) : null,
      info.formula ? el("div", { class: "formula", text: "= " + info.formula }) : null,
      info.provides ? el("div", { class: "provides", text: "provides " + info.provides.join(", ") }) : null,
    );
    tooltip.dataset.name = info.name;
    tooltip.hidden = false;
    const width = tooltip.offsetWidth;
    tooltip.style.left = Math.max(4, Math.min(x + 12, window.innerWidth - width - 8)) + "px";
    tooltip.style.top = (y + 18) + "px";
  }

  function describeDomain(domain, type) {
    if (domain.members) return "one of " + domain.members.join(", ");
    const unit = (x) => (x === null || x === undefined ? x : (type || "").startsWith("money") ? "€" + x : x);
    const lo = unit(domain.minimum);
    const hi = unit(domain.maximum);
    if (lo === null && hi === null) return null;
    if (lo !== null && lo !== undefined && hi !== null && hi !== undefined) return `from ${lo} to ${hi}`;
    if (lo !== null && lo !== undefined) return `at least ${lo}`;
    return `at most ${hi}`;
  }

  // -- the facts form, built from the inputs -----------------------------------------------------

  function inputsKey(reg) {
    return reg ? reg.inputs.map((i) => `${i.name}:${i.type}:${JSON.stringify(i.domain)}`).join("|") : "";
  }

  function setRegulation(reg) {
    const changed = inputsKey(reg) !== inputsKey(state.regulation);
    const kept = changed ? collectFacts() : null;
    state.regulation = reg;
    if (changed) {
      buildForm(reg);
      fillFacts(kept);
    }
  }

  function buildForm(reg) {
    const form = $("facts");
    form.replaceChildren();
    if (!reg || reg.kind !== "regulation") {
      form.append(el("p", { class: "hint", text: "A module has no eligibility to decide: its inputs are asked by the regulations that import it." }));
      return;
    }
    for (const input of reg.inputs) {
      const id = "fact-" + input.name;
      const control = controlFor(input, id);
      const row = el("div", { class: "fact", "data-name": input.name, "data-type": input.type },
        el("label", { for: id },
          input.label || input.name, el("br"),
          el("span", { class: "name", text: input.name }),
          input.registry ? el("span", { class: "registry", title: input.judged ? "the registry's figure is a start; the citizen judges" : "the registry holds it: fetch it, do not ask", text: "from " + input.registry }) : null),
        control,
        el("button", { type: "button", class: "clear", title: "unknown", "aria-label": "make " + input.name + " unknown", text: "×",
          onclick: () => setFact(row, null) }));
      form.append(row);
    }
  }

  function controlFor(input, id) {
    const d = input.domain || {};
    switch (input.type) {
      case "bool": {
        const box = el("input", { type: "checkbox", id, name: input.name });
        box.indeterminate = true; // unknown until clicked
        box.dataset.known = "false";
        box.addEventListener("change", () => { box.dataset.known = "true"; box.indeterminate = false; });
        return box;
      }
      case "enum":
        return el("select", { id, name: input.name },
          el("option", { value: "", text: "— unknown —" }),
          (d.members || []).map((m) => el("option", { value: m, text: m })));
      case "date":
        return el("input", { type: "date", id, name: input.name, min: d.minimum, max: d.maximum });
      case "int":
        return el("input", { type: "number", id, name: input.name, step: "1", min: d.minimum, max: d.maximum, placeholder: "unknown" });
      case "money":
        return el("input", { type: "number", id, name: input.name, step: "0.01", min: d.minimum, max: d.maximum, placeholder: "€ unknown", inputmode: "decimal" });
      default: // decimal, percent (a percent is sent as a fraction: 0.137 is 13.7%)
        return el("input", { type: "number", id, name: input.name, step: "any", min: d.minimum, max: d.maximum,
          placeholder: input.type === "percent" ? "fraction (0.137)" : "unknown" });
    }
  }

  function setFact(row, value) {
    const control = row.querySelector("input, select");
    if (control.type === "checkbox") {
      const known = value !== null && value !== undefined;
      control.checked = known && value === true;
      control.indeterminate = !known;
      control.dataset.known = known ? "true" : "false";
    } else {
      control.value = value === null || value === undefined ? "" : String(value);
    }
  }

  function collectFacts() {
    const facts = {};
    for (const row of document.querySelectorAll("#facts .fact")) {
      const name = row.dataset.name;
      const control = row.querySelector("input, select");
      if (control.type === "checkbox") {
        if (control.dataset.known === "true") facts[name] = control.checked;
      } else if (control.value !== "") {
        facts[name] = row.dataset.type === "int" && /^-?\d+$/.test(control.value) ? Number(control.value) : control.value;
      }
    }
    return facts;
  }

  function fillFacts(facts) {
    for (const row of document.querySelectorAll("#facts .fact")) {
      const name = row.dataset.name;
      setFact(row, facts && Object.prototype.hasOwnProperty.call(facts, name) ? facts[name] : null);
    }
  }

  // -- the decision ------------------------------------------------------------------------------

  async function decide() {
    const out = $("decision");
    out.replaceChildren(el("p", { class: "hint", text: "deciding…" }));
    let answer;
    try {
      answer = await post("/playground/decide", textBody({ facts: collectFacts(), date: $("date").value || null }));
    } catch (e) {
      out.replaceChildren(el("p", { class: "problem", text: "the server does not answer" }));
      return;
    }
    if (answer.status !== 200) {
      out.replaceChildren(el("p", { class: "problem", id: "decision-problem", text: problemText(answer.data) }));
      return;
    }
    renderDecision(answer.data, out);
  }

  function outcomeOf(d) {
    if (d.error) return "error";
    return d.eligible === true ? "eligible" : d.eligible === false ? "not eligible" : "undetermined";
  }

  function renderDecision(d, out) {
    const outcome = outcomeOf(d);
    const parts = [el("div", { class: "outcome " + outcome.replace(" ", "-"), id: "outcome", text: outcome }),
      el("span", { class: "hint", text: ` on ${d.date}${d.decided_by === "solver" ? ", settled by the solver for every open answer" : ""}` })];
    const amounts = Object.entries(d.amounts || {});
    if (amounts.length) {
      parts.push(el("table", { class: "amounts" }, amounts.map(([k, v]) => el("tr", {}, el("th", { class: "mono", text: k }), el("td", { class: "num", text: v })))));
    }
    if (d.error) parts.push(el("p", { class: "problem", text: `${d.error.message}${d.error.subject ? " (in " + d.error.subject + ")" : ""}` }));
    if (d.explanation && d.explanation.length) {
      parts.push(el("h3", { text: "Reasons" }), el("ul", { class: "explanation", id: "explanation" }, d.explanation.map((line) => el("li", { text: line }))));
    }
    if (d.reasons && d.reasons.length) {
      parts.push(el("ul", { class: "reasons", id: "reasons" }, d.reasons.map((r) =>
        el("li", { class: r.status, "data-requirement": r.requirement },
          el("span", { class: "mono", text: r.requirement }), ": ", r.status, r.article ? ` (${r.article})` : ""))));
    }
    if (d.questions && d.questions.length) {
      parts.push(el("h3", { text: "Still needed" }), el("ul", { class: "questions", id: "questions" }, d.questions.map((q) =>
        el("li", {}, el("span", { class: "mono", text: q.input }), q.label ? ": " + q.label : "",
          q.registry ? ` (held by ${q.registry}${q.judged ? ", a judgement" : ""})` : " (ask the citizen)"))));
    }
    const documents = (d.documents || []).filter((doc) => doc.required !== false);
    if (documents.length) {
      parts.push(el("h3", { text: "Documents" }), el("ul", { class: "documents" }, documents.map((doc) =>
        el("li", {}, doc.label || doc.document, " ", el("span", { class: "hint", text: `(${doc.document}${doc.required === null ? ", perhaps: it depends on facts not yet known" : ""}; provides ${(doc.provides || []).join(", ")})` })))));
    }
    put(out, parts);
  }

  // -- the tests ---------------------------------------------------------------------------------

  async function runTests() {
    const out = $("tests");
    out.replaceChildren(el("p", { class: "hint", text: "running…" }));
    let answer;
    try { answer = await post("/playground/test", textBody()); } catch (e) {
      out.replaceChildren(el("p", { class: "problem", text: "the server does not answer" }));
      return;
    }
    if (answer.status !== 200) {
      out.replaceChildren(el("p", { class: "problem", text: problemText(answer.data) }));
      return;
    }
    const r = answer.data;
    const failed = r.results.filter((x) => !x.passed);
    put(out,
      el("p", { class: "summary " + (r.failed ? "failing" : "passing"), id: "test-summary", text: `${r.passed} passed, ${r.failed} failed` }),
      failed.length ? el("ul", { class: "failures" }, failed.map((x) => el("li", {},
        el("strong", { text: x.test }), el("span", { class: "hint", text: " " + x.location }),
        el("ul", {}, x.failures.map((f) => el("li", { class: "problem", text: f })), x.path.map((p) => el("li", { class: "mono", text: p })))))) : null,
      el("details", {}, el("summary", { text: "every test" }),
        el("ul", {}, r.results.map((x) => el("li", { class: x.passed ? "clean" : "problem", text: (x.passed ? "✓ " : "✗ ") + x.test })))));
  }

  // -- the analysis ------------------------------------------------------------------------------

  async function analyze(retry) {
    const out = $("analysis");
    const seq = retry ? state.analysisSeq : ++state.analysisSeq;
    if (!retry) out.replaceChildren(el("p", { class: "hint", id: "analysis-running", text: "the solver is at work…" }));
    let answer;
    try { answer = await post("/playground/analyze", textBody({ date: $("date").value || null })); } catch (e) {
      out.replaceChildren(el("p", { class: "problem", text: "the server does not answer" }));
      return;
    }
    if (seq !== state.analysisSeq) return;
    if (answer.status === 503 && answer.retryAfter && (retry || 0) < ANALYSIS_RETRIES) {
      const wait = Math.min(Number(answer.retryAfter) || 5, 10);
      out.replaceChildren(el("p", { class: "hint", id: "analysis-running", text: `${problemText(answer.data)} (asking again in ${wait} s)` }));
      setTimeout(() => analyze((retry || 0) + 1), wait * 1000);
      return;
    }
    if (answer.status !== 200) {
      out.replaceChildren(el("p", { class: "problem", text: problemText(answer.data) }));
      return;
    }
    renderAnalysis(answer.data, out);
  }

  function renderAnalysis(a, out) {
    const findings = a.findings || [];
    const unknown = a.unknown || [];
    const parts = [el("p", { class: "summary", id: "analysis-summary",
      text: `${findings.length} finding${findings.length === 1 ? "" : "s"}` + (unknown.length ? `, ${unknown.length} unknown` : "") +
        ` on ${a.date} (${a.cached ? "from the cache" : a.seconds + " s"})` })];
    parts.push(el("ul", { id: "findings" }, findings.map((f, i) => renderFinding(f, i))));
    if (unknown.length) {
      parts.push(el("details", {}, el("summary", { text: "unknown: the solver ran out of time" }),
        el("ul", {}, unknown.map((u) => el("li", { text: u.message || u.subject || JSON.stringify(u) })))));
    }
    put(out, parts);
  }

  function renderFinding(f, index) {
    const witness = f.witness;
    const box = witness ? renderWitness(witness, index) : null;
    const where = typeof f.span === "string" ? f.span : "";
    const found = /:(\d+):(\d+)$/.exec(where);
    // `at`: the place in this text of what the finding is about (the span may be of a cached run)
    const line = f.at ? [null, f.at.line, f.at.column] : found;
    return el("li", { class: "finding", "data-kind": f.kind || "" },
      el("div", { class: "title", text: f.title || f.kind }),
      el("div", { class: "message", text: f.message || "" }),
      where ? el("div", { class: "where" }, line ? el("a", { href: "#", title: where, text: `line ${line[1]}, column ${line[2]}`, onclick: (e) => { e.preventDefault(); goTo(+line[1], +line[2]); } }) : where) : null,
      f.proposal ? el("div", { class: "proposal", text: "Proposal: " + f.proposal }) : null,
      f.because && f.because.length ? el("ul", { class: "because" }, f.because.map((b) => el("li", { text: b }))) : null,
      witness ? el("button", { type: "button", class: "small show-witness", "aria-expanded": "false",
        onclick: (e) => { box.hidden = !box.hidden; e.target.setAttribute("aria-expanded", String(!box.hidden)); e.target.textContent = box.hidden ? "Show the witness" : "Hide the witness"; },
        text: "Show the witness" }) : null,
      box);
  }

  function renderWitness(w, index) {
    const decision = w.decision || {};
    const outcome = decision.error ? "error" : decision.eligible === true ? "eligible" : decision.eligible === false ? "not eligible" : "undetermined";
    const facts = Object.entries(w.facts || {});
    const box = el("div", { class: "witness", id: "witness-" + index, hidden: true },
      el("div", { text: `A case on ${w.date || ""} for which it matters:` }),
      el("table", { class: "witness-facts" }, facts.map(([k, v]) => el("tr", {}, el("th", { class: "mono", text: k }), el("td", { class: "num", text: JSON.stringify(v) })))),
      el("div", {}, "Outcome: ", el("strong", { text: outcome }),
        decision.amounts && Object.keys(decision.amounts).length ? " — " + Object.entries(decision.amounts).map(([k, v]) => `${k} ${v}`).join(", ") : ""),
      el("button", { type: "button", class: "small", text: "Decide this case",
        onclick: () => { fillFacts(w.facts || {}); if (w.date) $("date").value = w.date; $("facts-panel").open = true; decide(); } }));
    return box;
  }

  // -- loading a file ----------------------------------------------------------------------------

  async function load(file) {
    setStatus("loading…", "busy");
    const response = await fetch("/playground/start" + (file ? "?file=" + encodeURIComponent(file) : ""));
    const start = await response.json();
    if (response.status !== 200) { setStatus(problemText(start), "problem"); return; }
    state.file = start.file;
    const select = $("file");
    if (!select.options.length) {
      for (const name of start.files) select.append(el("option", { value: name, text: name }));
    }
    select.value = start.file;
    if (start.text || !$("date").value) $("date").value = start.date; // a new file keeps the date chosen
    editor.value = start.text;
    state.edited = false;
    editor.scrollTop = 0;
    state.regulation = null;
    renderLayers();
    $("decision").replaceChildren();
    $("tests").replaceChildren();
    $("analysis").replaceChildren();
    await check();
  }

  // -- wiring ------------------------------------------------------------------------------------

  editor.addEventListener("input", () => { state.edited = true; renderLayers(); hideTooltip(); scheduleCheck(); });
  editor.addEventListener("scroll", () => { syncScroll(); hideTooltip(); });
  editor.addEventListener("mousemove", onPointerMove);
  editor.addEventListener("mouseleave", () => { clearTimeout(state.hoverTimer); hideTooltip(); });
  editor.addEventListener("keyup", onCaretMove);
  editor.addEventListener("click", onCaretMove);
  editor.addEventListener("keydown", (e) => {
    if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
      e.preventDefault(); // two spaces, as the canonical format indents
      document.execCommand("insertText", false, "  ");
    }
  });
  $("decide").addEventListener("click", decide);
  $("example").addEventListener("click", () => fillFacts(state.regulation ? state.regulation.example : {}));
  $("clear").addEventListener("click", () => fillFacts({}));
  $("run-tests").addEventListener("click", runTests);
  $("analyze").addEventListener("click", () => analyze(0));
  $("file").addEventListener("change", (e) => {
    if (state.edited && !window.confirm("Open " + e.target.value + "? Your edits here are not saved anywhere.")) {
      e.target.value = state.file;
      return;
    }
    load(e.target.value);
  });
  window.addEventListener("resize", syncScroll);

  // what the browser tests (tests/browser) use to point at a character
  window.playground = { pointAt, positionAt, reveal, goTo, check, state };

  load(null).catch((e) => setStatus("could not load the playground: " + e.message, "problem"));
})();
