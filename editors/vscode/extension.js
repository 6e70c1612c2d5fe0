// The Guichet extension: starts `guichet lsp` for .guichet and .gtest files.
// Highlighting comes from syntaxes/ (TextMate); diagnostics, hover, go to
// definition, references, completion, rename, outline, formatting and quick
// fixes come from the language server. The program is found in the PATH, or
// at the path set in the `guichet.chemin` setting.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("guichet").get("chemin") || "guichet";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "guichet",
    "Guichet",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "guichet" },
        { scheme: "file", language: "guichet-test" },
      ],
    },
  );
  client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `Guichet : impossible de lancer « ${command} lsp » (${error.message}). ` +
        "Installez guichet ou indiquez son chemin dans le réglage guichet.chemin.",
    );
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
