// The Eenvoud extension for VS Code: the language `eenvoud` for `.rules` files (the TextMate grammar in
// syntaxes/ colours them) and the language server `eenvoud lsp` over standard input and output, started
// with vscode-languageclient. The setting `eenvoud.command` names the `eenvoud` command (default:
// `eenvoud` on the PATH; `${workspaceFolder}` in it is the first folder of the workspace).
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function command() {
  const configured = vscode.workspace.getConfiguration("eenvoud").get("command") || "eenvoud";
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  return folder ? configured.split("${workspaceFolder}").join(folder.uri.fsPath) : configured;
}

function newClient() {
  const run = { command: command(), args: ["lsp"], transport: TransportKind.stdio };
  const serverOptions = { run, debug: run };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "eenvoud" }, { scheme: "untitled", language: "eenvoud" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.rules") },
  };
  return new LanguageClient("eenvoud", "Eenvoud", serverOptions, clientOptions);
}

async function start() {
  client = newClient();
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `Eenvoud: could not start \`${command()} lsp\` (${err && err.message ? err.message : err}). ` +
        "Install eenvoud (pip install -e .) or set `eenvoud.command` to its path, e.g. " +
        "`${workspaceFolder}/.venv/bin/eenvoud`."
    );
  }
}

async function stop() {
  if (client) {
    const old = client;
    client = undefined;
    try {
      await old.stop();
    } catch (_) {
      // it did not start: nothing to stop
    }
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("eenvoud.restartServer", async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("eenvoud.command")) {
        await stop();
        await start();
      }
    })
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
