#!/usr/bin/env node
// Tokenize rule files with the TextMate grammar as VS Code does (vscode-textmate over the Oniguruma
// regular expressions of vscode-oniguruma), and print the tokens as JSON on standard output:
//
//   node test/tokenize.js [--grammar GRAMMAR.json] FILE.rules ...   ("-" reads standard input)
//
//   {"FILE.rules": [[[start, end, ["keyword.other.declaration.eenvoud", ...]], ...], ...], ...}
//
// one list per line, one [start, end, scopes] per token (columns in UTF-16 code units, end exclusive,
// the root scope source.eenvoud left out: a token with no scopes is plain text). tests/editors runs
// it over every shipped rule file.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const ROOT_SCOPE = "source.eenvoud";

function parseArgs(argv) {
  let grammarPath = path.join(__dirname, "..", "syntaxes", "eenvoud.tmLanguage.json");
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--grammar") {
      grammarPath = argv[++i];
    } else {
      files.push(argv[i]);
    }
  }
  return { grammarPath, files };
}

async function loadGrammar(grammarPath) {
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== ROOT_SCOPE) return null;
      return vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath);
    },
  });
  const grammar = await registry.loadGrammar(ROOT_SCOPE);
  if (!grammar) throw new Error(`no grammar ${ROOT_SCOPE} in ${grammarPath}`);
  return grammar;
}

function tokenizeText(grammar, text) {
  const lines = text.split(/\r\n|\r|\n/);
  const out = [];
  let stack = vsctm.INITIAL;
  for (const line of lines) {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    const tokens = [];
    for (const token of result.tokens) {
      const end = Math.min(token.endIndex, line.length);
      if (token.startIndex >= end) continue;
      tokens.push([token.startIndex, end, token.scopes.filter((s) => s !== ROOT_SCOPE)]);
    }
    out.push(tokens);
  }
  return out;
}

async function main() {
  const { grammarPath, files } = parseArgs(process.argv.slice(2));
  const grammar = await loadGrammar(grammarPath);
  const result = {};
  for (const file of files) {
    const text = file === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(file, "utf8");
    result[file] = tokenizeText(grammar, text);
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => {
  process.stderr.write(`tokenize.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
