// Rule text as highlighted HTML in the browser: window.eenvoudHighlight(text) -> html.
//
// The same TextMate grammar as VS Code (editors/vscode/syntaxes/eenvoud.tmLanguage.json), embedded
// below by editors/vscode/sync_grammar.py, and the same tokenizer as eenvoud/dsl/highlight.py: from a
// position, the rule whose match starts first wins (the first in the grammar's order on a tie), its
// match is scoped with the rule's name and its captures; what no rule matches is plain text. Each token
// becomes <span class="tok-...">, by its innermost scope (the classes of eenvoud/dsl/highlight.py:
// tok-keyword, tok-string, tok-number, tok-comment, tok-type, tok-operator, tok-definition, tok-input,
// tok-registry, tok-builtin, tok-name, tok-constant, tok-punctuation, tok-invalid); lines are joined
// with "\n" (put the result in a <pre>). tests/editors checks that it gives the same HTML as
// highlight.py on every shipped rule file.
//
//   <script src="/static/highlight.js"></script>
//   pre.innerHTML = eenvoudHighlight(source);
//   eenvoudHighlight.useGrammar(json);   // another grammar (a parsed .tmLanguage.json)
//
// In Node: const { highlight, tokenize } = require("./highlight.js").
(function (root) {
  "use strict";

  var CLASSES = [
    ["comment", "tok-comment"],
    ["string", "tok-string"],
    ["constant.numeric", "tok-number"],
    ["constant.language", "tok-constant"],
    ["storage.type", "tok-type"],
    ["keyword.operator", "tok-operator"],
    ["keyword", "tok-keyword"],
    ["entity.name.type.registry", "tok-registry"],
    ["entity.name", "tok-definition"],
    ["variable.parameter", "tok-input"],
    ["variable.language", "tok-builtin"],
    ["support", "tok-builtin"],
    ["variable", "tok-name"],
    ["punctuation", "tok-punctuation"],
    ["invalid", "tok-invalid"],
  ];
  var LINES = /\r\n|\r|\n/;

  // BEGIN GRAMMAR: editors/vscode/syntaxes/eenvoud.tmLanguage.json, embedded by editors/vscode/sync_grammar.py
  var GRAMMAR = {"$schema":"https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json","name":"Eenvoud","scopeName":"source.eenvoud","fileTypes":["rules"],"comment":"The Eenvoud rules language (eenvoud/dsl/grammar.lark). Every rule is a single-line `match` in the subset of regular expressions that Oniguruma, Python's re and JavaScript share, so that eenvoud/dsl/highlight.py and eenvoud/api/static/highlight.js tokenize as VS Code does (tests/editors). Edit editors/vscode/syntaxes/eenvoud.tmLanguage.json, then run `python editors/vscode/sync_grammar.py`.","patterns":[{"include":"#comment"},{"include":"#string"},{"include":"#declaration"},{"include":"#registry"},{"include":"#keyword"},{"include":"#type"},{"include":"#constant"},{"include":"#builtin"},{"include":"#operator"},{"include":"#punctuation"},{"include":"#identifier"},{"include":"#invalid"}],"repository":{"comment":{"patterns":[{"match":"#.*","name":"comment.line.number-sign.eenvoud"}]},"string":{"patterns":[{"match":"\\b(article)\\s+(\"(?:[^\"\\\\]|\\\\.)*\")","captures":{"1":{"name":"keyword.other.article.eenvoud"},"2":{"name":"string.quoted.double.article.eenvoud"}}},{"match":"\\b(source)\\s+(\"(?:[^\"\\\\]|\\\\.)*\")","captures":{"1":{"name":"keyword.other.source.eenvoud"},"2":{"name":"string.quoted.double.source.eenvoud"}}},{"match":"\"(?:[^\"\\\\]|\\\\.)*\"","name":"string.quoted.double.eenvoud"},{"match":"\"(?:[^\"\\\\]|\\\\.)*$","name":"invalid.illegal.unterminated-string.eenvoud"}]},"declaration":{"patterns":[{"match":"\\b(regulation|module|event)\\s+([A-Za-z_][A-Za-z0-9_]*)","captures":{"1":{"name":"keyword.other.declaration.eenvoud"},"2":{"name":"entity.name.namespace.eenvoud"}}},{"match":"\\b(input)\\s+([A-Za-z_][A-Za-z0-9_]*)","captures":{"1":{"name":"keyword.other.declaration.eenvoud"},"2":{"name":"variable.parameter.input.eenvoud"}}},{"match":"\\b(parameter|bracket|define|requirement|amount|document)\\s+([A-Za-z_][A-Za-z0-9_]*)","captures":{"1":{"name":"keyword.other.declaration.eenvoud"},"2":{"name":"entity.name.function.eenvoud"}}},{"match":"\\b(regulation|module|event|input|parameter|bracket|define|requirement|amount|document|test|property)\\b","name":"keyword.other.declaration.eenvoud"},{"match":"\\b(import|includes)\\b","name":"keyword.control.import.eenvoud"}]},"registry":{"patterns":[{"match":"\\b(from)\\s+([A-Za-z_][A-Za-z0-9_]*)","captures":{"1":{"name":"keyword.other.registry.eenvoud"},"2":{"name":"entity.name.type.registry.eenvoud"}}},{"match":"\\b(on|until)\\s+(decision)\\s+(date)\\b","captures":{"1":{"name":"keyword.other.registry.eenvoud"},"2":{"name":"keyword.other.registry.eenvoud"},"3":{"name":"keyword.other.registry.eenvoud"}}},{"match":"\\b(from|decision|until|for|year|past|next|months|judged)\\b","name":"keyword.other.registry.eenvoud"}]},"keyword":{"patterns":[{"match":"\\b(sum)\\s+(for)\\s+(each)\\s+(month)\\s+([A-Za-z_][A-Za-z0-9_]*)","captures":{"1":{"name":"keyword.control.loop.eenvoud"},"2":{"name":"keyword.control.loop.eenvoud"},"3":{"name":"keyword.control.loop.eenvoud"},"4":{"name":"keyword.control.loop.eenvoud"},"5":{"name":"variable.other.month.eenvoud"}}},{"match":"\\b(in)\\s+(the)\\s+(year)\\s+(of)\\b","captures":{"1":{"name":"keyword.control.loop.eenvoud"},"2":{"name":"keyword.control.loop.eenvoud"},"3":{"name":"keyword.control.loop.eenvoud"},"4":{"name":"keyword.control.loop.eenvoud"}}},{"match":"\\b(sum|each|month|the|of)\\b","name":"keyword.control.loop.eenvoud"},{"match":"\\b(if|then|else|unless|when)\\b","name":"keyword.control.conditional.eenvoud"},{"match":"\\b(and|or|not|implies)\\b","name":"keyword.operator.logical.eenvoud"},{"match":"\\b(in)\\b","name":"keyword.operator.membership.eenvoud"},{"match":"\\b(given|expect)\\b","name":"keyword.other.test.eenvoud"},{"match":"\\b(eligible|undetermined|missing)\\b","name":"keyword.other.outcome.eenvoud"},{"match":"\\b(agency|source|article|label|provides|required|on)\\b","name":"keyword.other.eenvoud"}]},"type":{"patterns":[{"match":"\\b(one)\\s+(of)\\b","captures":{"1":{"name":"storage.type.enum.eenvoud"},"2":{"name":"storage.type.enum.eenvoud"}}},{"match":"\\b(one)\\b","name":"storage.type.enum.eenvoud"},{"match":"\\b(bool|int|decimal|percent|money|date)\\b","name":"storage.type.primitive.eenvoud"}]},"constant":{"patterns":[{"match":"\\b(true|false)\\b","name":"constant.language.boolean.eenvoud"},{"match":"\\b[0-9]{4}-[0-9]{2}-[0-9]{2}\\b","name":"constant.numeric.date.eenvoud"},{"match":"€[0-9][0-9_]*(?:\\.[0-9][0-9_]*)?","name":"constant.numeric.money.eenvoud"},{"match":"\\b[0-9][0-9_]*(?:\\.[0-9][0-9_]*)?%","name":"constant.numeric.percent.eenvoud"},{"match":"\\b[0-9][0-9_]*\\.[0-9][0-9_]*","name":"constant.numeric.decimal.eenvoud"},{"match":"\\b[0-9][0-9_]*","name":"constant.numeric.integer.eenvoud"}]},"builtin":{"patterns":[{"match":"\\b(min|max|round|floor|ceil|abs|years_between|months_between|days_between|add_days|add_months|add_years|first_day_of_next_month)(?=\\s*\\()","name":"support.function.builtin.eenvoud"},{"match":"\\b(reference_date)\\b","name":"variable.language.reference-date.eenvoud"}]},"operator":{"patterns":[{"match":"\\.\\.","name":"keyword.operator.range.eenvoud"},{"match":"=>","name":"keyword.operator.arrow.eenvoud"},{"match":"==|!=|<=|>=|<|>","name":"keyword.operator.comparison.eenvoud"},{"match":"=","name":"keyword.operator.assignment.eenvoud"},{"match":"[-+*/]","name":"keyword.operator.arithmetic.eenvoud"}]},"punctuation":{"patterns":[{"match":"\\|","name":"punctuation.separator.row.eenvoud"},{"match":":","name":"punctuation.separator.colon.eenvoud"},{"match":",","name":"punctuation.separator.comma.eenvoud"},{"match":"\\(","name":"punctuation.section.parens.begin.eenvoud"},{"match":"\\)","name":"punctuation.section.parens.end.eenvoud"},{"match":"\\{","name":"punctuation.section.braces.begin.eenvoud"},{"match":"\\}","name":"punctuation.section.braces.end.eenvoud"}]},"identifier":{"patterns":[{"match":"\\b[A-Za-z_][A-Za-z0-9_]*","name":"variable.other.eenvoud"}]},"invalid":{"patterns":[{"match":"[^\\s]","name":"invalid.illegal.character.eenvoud"}]}}};
  // END GRAMMAR

  function compile(grammar) {
    var repository = grammar.repository || {};
    var rules = [];
    function walk(patterns, seen) {
      patterns.forEach(function (p) {
        if (p.include !== undefined) {
          var key = p.include.charAt(0) === "#" ? p.include.slice(1) : null;
          if (key === null || !Object.prototype.hasOwnProperty.call(repository, key)) {
            throw new Error("include " + p.include + ": only includes of the repository (#name) are followed");
          }
          if (seen.indexOf(key) >= 0) throw new Error("include " + p.include + " includes itself");
          walk([repository[key]], seen.concat([key]));
        } else if (p.patterns !== undefined && p.match === undefined) {
          walk(p.patterns, seen);
        } else if (p.match !== undefined) {
          var captures = [];
          Object.keys(p.captures || {}).forEach(function (k) {
            if (p.captures[k].name) captures.push([parseInt(k, 10), p.captures[k].name]);
          });
          captures.sort(function (a, b) { return a[0] - b[0]; });
          rules.push({ regex: new RegExp(p.match, "gd"), name: p.name || null, captures: captures });
        } else {
          throw new Error("a rule this highlighter cannot follow (only match rules)");
        }
      });
    }
    walk(grammar.patterns, []);
    return rules;
  }

  var rules = compile(GRAMMAR);

  function search(rule, line, pos) {
    rule.regex.lastIndex = pos;
    return rule.regex.exec(line);
  }

  function scoped(rule, m, out) {
    var start = m.index, end = m.index + m[0].length;
    var scopes = [];
    for (var i = start; i < end; i++) scopes.push(rule.name ? [rule.name] : []);
    rule.captures.forEach(function (c) {
      var span = m.indices[c[0]];
      if (!span) return;
      for (var j = Math.max(span[0], start); j < Math.min(span[1], end); j++) {
        scopes[j - start] = scopes[j - start].concat([c[1]]);
      }
    });
    var run = start;
    for (var k = start + 1; k <= end; k++) {
      if (k === end || scopes[k - start].join(" ") !== scopes[run - start].join(" ")) {
        out.push([run, k, scopes[run - start]]);
        run = k;
      }
    }
  }

  function tokenizeLine(line) {
    var tokens = [];
    var found = rules.map(function () { return undefined; });
    var pos = 0;
    while (pos < line.length) {
      var best = null, bestRule = null;
      for (var i = 0; i < rules.length; i++) {
        var m = found[i];
        if (m === undefined || (m !== null && m.index < pos)) m = found[i] = search(rules[i], line, pos);
        if (m === null || m[0].length === 0) continue;
        if (best === null || m.index < best.index) {
          best = m;
          bestRule = rules[i];
          if (m.index === pos) break;
        }
      }
      if (best === null) break;
      if (best.index > pos) tokens.push([pos, best.index, []]);
      scoped(bestRule, best, tokens);
      pos = best.index + best[0].length;
    }
    if (pos < line.length) tokens.push([pos, line.length, []]);
    return tokens;
  }

  function tokenize(text) {
    return String(text).split(LINES).map(tokenizeLine);
  }

  function cssClass(scopes) {
    if (scopes.length === 0) return null;
    var inner = scopes[scopes.length - 1];
    for (var i = 0; i < CLASSES.length; i++) {
      var prefix = CLASSES[i][0];
      if (inner === prefix || inner.indexOf(prefix + ".") === 0) return CLASSES[i][1];
    }
    return "tok-other";
  }

  function escape(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function highlight(text) {
    var lines = String(text).split(LINES);
    return lines.map(function (line) {
      return tokenizeLine(line).map(function (t) {
        var piece = escape(line.slice(t[0], t[1]));
        var cls = cssClass(t[2]);
        return cls ? '<span class="' + cls + '">' + piece + "</span>" : piece;
      }).join("");
    }).join("\n");
  }

  highlight.tokenize = tokenize;
  highlight.useGrammar = function (grammar) { rules = compile(grammar); };
  highlight.grammar = GRAMMAR;
  if (typeof module === "object" && module.exports) {
    module.exports = { highlight: highlight, tokenize: tokenize, grammar: GRAMMAR, useGrammar: highlight.useGrammar };
  }
  if (root) root.eenvoudHighlight = highlight;
})(typeof window !== "undefined" ? window : typeof globalThis !== "undefined" ? globalThis : this);
