//! `guichet lsp`: a language server over stdio for rule and test files.
//!
//! The transport is rust-analyzer's `lsp-server` (JSON-RPC over stdio, one
//! thread, requests answered in order), the types `lsp-types`. The server
//! keeps the texts of open documents; every request reads its workspace
//! afresh (`workspace.rs`), and `features.rs` answers it with the
//! compiler's own diagnostics and the name index of `index.rs`. Positions
//! are UTF-16, as the protocol's default (`position.rs`).
//!
//! Diagnostics are published for every file of the document's workspace
//! when a document opens, changes or is saved, so an error in
//! `commun.guichet` shows up while `conges.guichet` is edited.

mod features;
mod index;
mod position;
mod workspace;

use lsp::notification::PublishDiagnostics;
use lsp_server::{Connection, ExtractError, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use workspace::Workspace;

pub fn command() -> ExitCode {
    let (connection, io_threads) = Connection::stdio();
    let result = serve(&connection);
    drop(connection);
    let joined = io_threads.join();
    match (result, joined) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(e), _) => {
            eprintln!("erreur : {e}");
            ExitCode::from(2)
        }
        (_, Err(e)) => {
            eprintln!("erreur : {e}");
            ExitCode::from(2)
        }
    }
}

fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions::default()),
        rename_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    }
}

struct Server<'c> {
    connection: &'c Connection,
    /// The text of each open document, by URI.
    open: HashMap<String, String>,
    /// The files diagnostics were published for, to clear them when fixed.
    published: HashSet<String>,
}

fn serve(connection: &Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (id, _) = connection.initialize_start()?;
    let result = lsp::InitializeResult {
        capabilities: capabilities(),
        server_info: Some(lsp::ServerInfo {
            name: "guichet".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    connection.initialize_finish(id, serde_json::to_value(result)?)?;
    let mut server = Server {
        connection,
        open: HashMap::new(),
        published: HashSet::new(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                let response = server.request(request);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(notification) => server.notification(notification)?,
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn params<R: lsp::request::Request>(request: Request) -> Result<(RequestId, R::Params), Response> {
    let id = request.id.clone();
    request.extract::<R::Params>(R::METHOD).map_err(|e| {
        let message = match e {
            ExtractError::MethodMismatch(r) => format!("méthode inattendue : {}", r.method),
            ExtractError::JsonError { error, .. } => error.to_string(),
        };
        Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, message)
    })
}

fn ok(id: RequestId, value: impl serde::Serialize) -> Response {
    Response::new_ok(id, value)
}

impl Server<'_> {
    fn request(&mut self, request: Request) -> Response {
        use lsp::request::*;
        let method = request.method.clone();
        let id = request.id.clone();
        let answer = match method.as_str() {
            HoverRequest::METHOD => params::<HoverRequest>(request).map(|(id, p)| {
                let at = p.text_document_position_params;
                let ws = Workspace::of(&at.text_document.uri, &self.open);
                ok(id, features::hover(&ws, &at.text_document.uri, at.position))
            }),
            GotoDefinition::METHOD => params::<GotoDefinition>(request).map(|(id, p)| {
                let at = p.text_document_position_params;
                let ws = Workspace::of(&at.text_document.uri, &self.open);
                let found = features::definition(&ws, &at.text_document.uri, at.position);
                ok(id, found.map(lsp::GotoDefinitionResponse::Scalar))
            }),
            References::METHOD => params::<References>(request).map(|(id, p)| {
                let at = p.text_document_position;
                let ws = Workspace::of(&at.text_document.uri, &self.open);
                let found = features::references(
                    &ws,
                    &at.text_document.uri,
                    at.position,
                    p.context.include_declaration,
                );
                ok(id, found)
            }),
            Completion::METHOD => params::<Completion>(request).map(|(id, p)| {
                let at = p.text_document_position;
                let ws = Workspace::of(&at.text_document.uri, &self.open);
                let items = features::completion(&ws, &at.text_document.uri, at.position);
                ok(id, lsp::CompletionResponse::Array(items))
            }),
            Rename::METHOD => params::<Rename>(request).map(|(id, p)| {
                let at = p.text_document_position;
                let ws = Workspace::of(&at.text_document.uri, &self.open);
                let edit = features::rename(&ws, &at.text_document.uri, at.position, &p.new_name);
                ok(id, edit)
            }),
            DocumentSymbolRequest::METHOD => {
                params::<DocumentSymbolRequest>(request).map(|(id, p)| {
                    let ws = Workspace::of(&p.text_document.uri, &self.open);
                    let symbols = features::document_symbols(&ws, &p.text_document.uri);
                    ok(id, lsp::DocumentSymbolResponse::Nested(symbols))
                })
            }
            Formatting::METHOD => params::<Formatting>(request).map(|(id, p)| {
                let ws = Workspace::of(&p.text_document.uri, &self.open);
                ok(id, features::formatting(&ws, &p.text_document.uri))
            }),
            CodeActionRequest::METHOD => params::<CodeActionRequest>(request).map(|(id, p)| {
                ok(
                    id,
                    features::code_actions(&p.text_document.uri, &p.context.diagnostics),
                )
            }),
            _ => Err(Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("méthode non prise en charge : {method}"),
            )),
        };
        answer.unwrap_or_else(|error| error)
    }

    fn notification(
        &mut self,
        notification: Notification,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        use lsp::notification::*;
        let uri = match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp::DidOpenTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                self.open.insert(
                    p.text_document.uri.as_str().to_string(),
                    p.text_document.text,
                );
                p.text_document.uri
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp::DidChangeTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                // Full synchronisation: the last change is the whole text.
                if let Some(change) = p.content_changes.into_iter().last() {
                    self.open
                        .insert(p.text_document.uri.as_str().to_string(), change.text);
                }
                p.text_document.uri
            }
            DidSaveTextDocument::METHOD => {
                let p: lsp::DidSaveTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                p.text_document.uri
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp::DidCloseTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                self.open.remove(p.text_document.uri.as_str());
                p.text_document.uri
            }
            _ => return Ok(()),
        };
        self.publish(&uri)
    }

    /// Publishes the diagnostics of every file of the workspace of `uri`.
    fn publish(&mut self, uri: &lsp::Uri) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let ws = Workspace::of(uri, &self.open);
        for (file, diagnostics) in features::diagnostics(&ws) {
            let target = ws.uri(file).clone();
            let key = target.as_str().to_string();
            // The document itself always hears back; other files when something changed.
            let was_published = self.published.remove(&key);
            if diagnostics.is_empty() && !was_published && key != uri.as_str() {
                continue;
            }
            if !diagnostics.is_empty() {
                self.published.insert(key);
            }
            let params = lsp::PublishDiagnosticsParams::new(target, diagnostics, None);
            self.connection
                .sender
                .send(Message::Notification(Notification::new(
                    PublishDiagnostics::METHOD.to_string(),
                    params,
                )))?;
        }
        Ok(())
    }
}
