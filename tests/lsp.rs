//! `guichet lsp`, driven as an editor drives it: the real binary, JSON-RPC
//! messages with their `Content-Length` headers over its stdin and stdout,
//! on a copy of the example rule base.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: i64,
    /// Notifications received while waiting for responses.
    notifications: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("guichet starts");
        // A server that stops answering fails the test instead of hanging it.
        let pid = child.id().to_string();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(120));
            let _ = Command::new("kill").arg(&pid).status();
        });
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Client {
            child,
            stdin,
            stdout,
            next_id: 1,
            notifications: Vec::new(),
        }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.stdout.read_line(&mut line).expect("read header");
            assert!(!line.is_empty(), "the server closed its output");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse().expect("a length");
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).expect("read body");
        serde_json::from_slice(&body).expect("JSON")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive();
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            self.notifications.push(message);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        loop {
            if let Some(i) = self.notifications.iter().position(|n| {
                n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
            }) {
                let n = self.notifications.remove(i);
                return n["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
            let message = self.receive();
            self.notifications.push(message);
        }
    }
}

/// The LSP position (UTF-16) of the first `needle` in `text`, plus `shift` characters.
fn position(text: &str, needle: &str, shift: usize) -> Value {
    let at = text.find(needle).expect("needle is in the text");
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count();
    let character: usize = text[line_start..at]
        .chars()
        .map(char::len_utf16)
        .sum::<usize>()
        + shift;
    json!({"line": line, "character": character})
}

fn uri(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).expect("the path exists");
    let mut out = String::from("file://");
    for byte in absolute.display().to_string().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn copy_of_the_example() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guichet-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for name in ["conges.guichet", "conges.gtest"] {
        std::fs::copy(Path::new("examples/demarrage").join(name), dir.join(name)).expect("copy");
    }
    dir
}

#[test]
fn an_editor_session_over_json_rpc() {
    let dir = copy_of_the_example();
    let rules = dir.join("conges.guichet");
    let text = std::fs::read_to_string(&rules).expect("readable");
    let doc = uri(&rules);
    let mut client = Client::start();

    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let capabilities = &init["capabilities"];
    for capability in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "completionProvider",
        "renameProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
        "codeActionProvider",
    ] {
        assert!(
            capabilities.get(capability).is_some(),
            "{capability} in {capabilities}"
        );
    }
    client.notify("initialized", json!({}));

    // A misspelt keyword, as it is typed: a French diagnostic with its code and a fix.
    let broken = text.replacen("réponse \"Vous avez droit", "reponce \"Vous avez droit", 1);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": doc, "languageId": "guichet", "version": 1, "text": broken}}),
    );
    let diagnostics = client.diagnostics_for(&doc);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "E101");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["range"]["start"], position(&broken, "reponce", 0));
    assert!(
        d["message"]
            .as_str()
            .unwrap_or("")
            .contains("vouliez-vous dire `réponse`"),
        "{d}"
    );
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": doc}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let action = &actions[0];
    assert_eq!(action["title"], "Remplacer par `réponse`");
    let edit = &action["edit"]["changes"][&doc][0];
    assert_eq!(edit["newText"], "réponse");
    assert_eq!(edit["range"], d["range"]);

    // Fixed: the diagnostics are cleared.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": doc, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    assert_eq!(client.diagnostics_for(&doc), Vec::<Value>::new());

    let at = |needle: &str, shift: usize| json!({"textDocument": {"uri": doc}, "position": position(&text, needle, shift)});
    // Hover on a fact used in `selon statut`: its question and values.
    let hover = client.request("textDocument/hover", at("selon statut", 7));
    let shown = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(
        shown.contains("Quel est votre statut ?") && shown.contains("`vacataire`"),
        "{shown}"
    );
    // Hover on a contact: its channels.
    let hover = client.request(
        "textDocument/hover",
        at("transfert gestionnaire_carriere", 12),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("par direction")
            || hover["contents"]["value"]
                .as_str()
                .unwrap_or("")
                .contains("Selon le fait `direction`"),
        "{hover}"
    );

    // Go to definition: the `fait statut` line.
    let definition = client.request("textDocument/definition", at("selon statut", 7));
    assert_eq!(definition["uri"], json!(doc));
    assert_eq!(
        definition["range"]["start"],
        position(&text, "statut: choix", 0)
    );

    // References of `jours_par_semaine`: its declaration, its use, and the test file's `demande`.
    let mut params = at("soit droits = 5 * jours_par_semaine", 18);
    params["context"] = json!({"includeDeclaration": true});
    let references = client.request("textDocument/references", params);
    let files: Vec<&str> = references
        .as_array()
        .map(|r| r.iter().filter_map(|l| l["uri"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        files.iter().filter(|f| **f == doc).count() >= 2,
        "{references}"
    );
    assert!(
        files.iter().any(|f| f.ends_with("conges.gtest")),
        "{references}"
    );

    // Completion inside `selon statut { … }`: the values of `statut` first, keywords in both languages.
    let completion = client.request(
        "textDocument/completion",
        at("    titulaire | contractuel", 4),
    );
    let labels: Vec<&str> = completion
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["label"].as_str()).collect())
        .unwrap_or_default();
    for label in [
        "titulaire",
        "contractuel",
        "vacataire",
        "réponse",
        "answer",
        "statut",
        "drh",
        "conges_annuels",
    ] {
        assert!(labels.contains(&label), "{label} missing from {labels:?}");
    }

    // Rename a contact: its declaration and every use.
    let mut params = at("contact drh", 8);
    params["newName"] = json!("rh");
    let rename = client.request("textDocument/rename", params);
    let edits = rename["changes"][&doc]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edits.len(), text.matches(" drh ").count(), "{rename}");
    assert!(edits.iter().all(|e| e["newText"] == "rh"));

    // The outline: topics, facts and their values, contacts.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": doc}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    for name in [
        "statut",
        "jours_par_semaine",
        "direction",
        "gestionnaire_carriere",
        "drh",
        "conges_annuels",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }

    // Formatting a badly laid out document gives the formatter's text.
    let messy = text.replace("\n  ", "\n       ");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": doc, "version": 3}, "contentChanges": [{"text": messy}]}),
    );
    let _ = client.diagnostics_for(&doc);
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": doc}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits[0]["newText"], json!(text));

    let shutdown = client.request("shutdown", Value::Null);
    assert_eq!(shutdown, Value::Null);
    client.notify("exit", Value::Null);
    let status = client.child.wait().expect("the server exits");
    std::fs::remove_dir_all(&dir).ok();
    assert!(status.success(), "{status}");
}
