//! The web chat in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`), driven over WebDriver: choose a topic, answer by
//! clicking and by typing, get the answer with its sources and link, read
//! why in plain words, give feedback, print it; reload mid-conversation and
//! find it again with labels; a finished or erased conversation is gone for
//! the next visitor (kiosk); free-text questions routed, offered, handed off.
//!
//! At each state (start, question, refused reply, answer with « pourquoi »
//! open, hand-off, admin page, accessibility statement) axe-core (npm, in
//! `tools/browser/`, injected through the driver) must find no violation of
//! WCAG 2.1 A/AA nor of its best practices at 1280×900, 390×844 and 320×256
//! (400 % zoom), the banner must not have scrolled away, and the conversation
//! keeps a third of the height there and at 640×450 (200 % zoom) and 844×390
//! (a phone held sideways).
//!
//! Without Chromium, chromedriver or axe-core the test says it skipped,
//! unless `GUICHET_REQUIRE_BROWSER=1` (set by `.ci/run`), where it fails.
//! Everything stays on 127.0.0.1; every wait is bounded.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(20);

/// A child process killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .chain([
                PathBuf::from("/usr/bin"),
                PathBuf::from("/usr/lib/chromium"),
            ])
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

const ADMIN: &str = "jeton-du-test-navigateur";

/// The viewport sizes every state is checked at: desktop, phone, 400 % zoom.
const SIZES: [(u32, u32); 3] = [(1280, 900), (390, 844), (320, 256)];

/// More sizes where the conversation must keep room: 200 % zoom, a phone held sideways.
const MORE_SIZES: [(u32, u32); 2] = [(640, 450), (844, 390)];

fn start_server(db: &Path, extra: &[&str]) -> Result<(Guard, String)> {
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["serve", rules, "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(extra)
        .env("GUICHET_ADMIN_TOKEN", ADMIN)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let guard = Guard(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
            if let Some(at) = line.find("écoute sur http://") {
                let rest = &line[at + "écoute sur ".len()..];
                let _ = tx.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(60))?;
    Ok((guard, url))
}

fn start_driver(driver: &Path) -> Result<(Guard, String)> {
    let port = free_port()?;
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let guard = Guard(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > WAIT {
            return Err("chromedriver did not start".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok((guard, format!("http://127.0.0.1:{port}")))
}

/// The axe-core script installed by `.ci/run` (`npm ci --prefix tools/browser`).
fn axe_source() -> Option<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tools/browser/node_modules/axe-core/axe.min.js"
    );
    std::fs::read_to_string(path).ok()
}

#[test]
fn the_web_chat_is_usable_and_accessible_in_chromium() -> Result {
    let required = std::env::var("GUICHET_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let chromium = find_program(&["chromium", "chromium-browser"]);
    let driver = find_program(&["chromedriver"]);
    let (Some(chromium), Some(driver), Some(axe)) = (chromium, driver, axe_source()) else {
        if required {
            return Err("GUICHET_REQUIRE_BROWSER=1 but chromium, chromedriver or axe-core (npm ci --prefix tools/browser) is missing".into());
        }
        eprintln!("skipped: chromium, chromedriver or axe-core missing (apt-get install chromium chromium-driver; npm ci --prefix tools/browser)");
        return Ok(());
    };
    let dir = std::env::temp_dir()
        .join("guichet-browser-test")
        .join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let (server, site) = start_server(&dir.join("g.db"), &[])?;
    let mut server = Some(server);
    // A kiosk that clears itself after 3 seconds without activity.
    let (_kiosk, kiosk) = start_server(&dir.join("kiosk.db"), &["--idle-minutes", "0.05"])?;
    let (_driver, webdriver) = start_driver(&driver)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // Dark mode first (prefers-color-scheme: dark): its colours checked by axe too.
        let dark_client =
            open_browser(&chromium, &webdriver, &dir.join("dark-profile"), true).await?;
        let mut page = Page {
            client: &dark_client,
            axe: axe.clone(),
            violations: Vec::new(),
        };
        let dark_result = dark(&mut page, &site).await;
        let mut violations = std::mem::take(&mut page.violations);
        let _ = dark_client.close().await;
        dark_result?;

        let client = open_browser(&chromium, &webdriver, &dir.join("profile"), false).await?;
        let mut page = Page {
            client: &client,
            axe,
            violations: Vec::new(),
        };
        let mut result = walk(&mut page, &site, &dir).await;
        if result.is_ok() {
            result = idle(&client, &kiosk).await;
        }
        if result.is_ok() {
            result = offline(&client, &site, &mut server).await;
        }
        violations.append(&mut page.violations);
        let _ = client.close().await;
        result?;
        assert!(
            violations.is_empty(),
            "accessibility violations:\n{}",
            violations.join("\n")
        );
        Ok(())
    })
}

/// A new headless Chromium session, in dark mode (`prefers-color-scheme: dark`) if `dark`.
async fn open_browser(
    chromium: &Path,
    webdriver: &str,
    profile: &Path,
    dark: bool,
) -> Result<Client> {
    let mut args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--hide-scrollbars".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    if dark {
        args.push("--force-dark-mode".into());
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args }),
    );
    Ok(
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(webdriver)
            .await?,
    )
}

/// The browser, the axe-core script, and the violations found so far.
struct Page<'a> {
    client: &'a Client,
    axe: String,
    violations: Vec<String>,
}

impl Page<'_> {
    /// Resizes the viewport (not the window) to `width`×`height` CSS pixels: the window is
    /// resized until its inside has that size (the browser's frame differs between sizes).
    async fn viewport(&self, width: u32, height: u32) -> Result {
        let (mut w, mut h) = (width, height);
        let mut inner = Value::Null;
        for _ in 0..4 {
            self.client.set_window_size(w, h).await?;
            // The resize is applied asynchronously: read the size once it has settled.
            let mut last = Value::Null;
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                inner = script(
                    self.client,
                    "return [window.innerWidth, window.innerHeight]",
                )
                .await?;
                if inner == last {
                    break;
                }
                last = inner.clone();
            }
            let (iw, ih) = (
                inner[0].as_i64().unwrap_or(0),
                inner[1].as_i64().unwrap_or(0),
            );
            if (iw, ih) == (i64::from(width), i64::from(height)) {
                return Ok(());
            }
            w = (i64::from(w) + i64::from(width) - iw).max(100) as u32;
            h = (i64::from(h) + i64::from(height) - ih).max(100) as u32;
        }
        Err(format!("viewport {inner} instead of {width}×{height}").into())
    }

    /// Runs axe-core and checks the banner at every size, and that the conversation keeps
    /// at least a third of the height; records what is wrong under `state`.
    async fn check(&mut self, state: &str) -> Result {
        for (width, height) in SIZES.into_iter().chain(MORE_SIZES) {
            self.viewport(width, height).await?;
            if SIZES.contains(&(width, height)) {
                for v in self.axe_run().await? {
                    self.violations
                        .push(format!("{state} at {width}×{height}: {v}"));
                }
            }
            let room = script(
                self.client,
                "const s = document.getElementById('defilement'); \
                 return s ? s.getBoundingClientRect().height / window.innerHeight : 1",
            )
            .await?;
            if !room.as_f64().is_some_and(|r| r >= 0.33) {
                self.violations.push(format!(
                    "{state} at {width}×{height}: the conversation has {room} of the height"
                ));
            }
            let banner = script(
                self.client,
                "const b = document.querySelector('.banner').getBoundingClientRect(); \
                 return [b.top, document.scrollingElement.scrollTop]",
            )
            .await?;
            if banner[0].as_f64() != Some(0.0) || banner[1].as_f64() != Some(0.0) {
                self.violations.push(format!(
                    "{state} at {width}×{height}: the page scrolled the banner away ({banner})"
                ));
            }
        }
        self.viewport(SIZES[1].0, SIZES[1].1).await
    }

    async fn axe_run(&self) -> Result<Vec<String>> {
        let loaded = script(self.client, "return typeof window.axe").await?;
        if loaded != "object" {
            self.client
                .execute(&format!("{}\nreturn true;", self.axe), vec![])
                .await?;
        }
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }) \
                   .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', ')))) \
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await?;
        Ok(result
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect())
    }
}

/// The button whose whole text is `text` (numbered buttons: the text after the number).
fn button(text: &str) -> String {
    format!(
        "//button[(normalize-space()=\"{text}\" or normalize-space(text()[last()])=\"{text}\") and not(@disabled)]"
    )
}

async fn click(client: &Client, xpath: &str) -> Result {
    find(client, xpath).await?.click().await?;
    Ok(())
}

/// The text of the element at `xpath` once it is there (found again if the page
/// replaced it in between).
async fn wait_text(client: &Client, xpath: &str) -> Result<String> {
    let mut tries = 0;
    loop {
        match find(client, xpath).await?.text().await {
            Ok(text) => return Ok(text),
            Err(_) if tries < 3 => tries += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// The element at `xpath` once it is there; if it never comes, the error shows the page.
async fn find(client: &Client, xpath: &str) -> Result<fantoccini::elements::Element> {
    match client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(xpath))
        .await
    {
        Ok(element) => Ok(element),
        Err(e) => {
            let shown = script(client, "return document.body.innerHTML").await?;
            Err(format!("no {xpath}: {e}\npage: {shown}").into())
        }
    }
}

async fn script(client: &Client, code: &str) -> Result<Value> {
    Ok(client.execute(code, vec![]).await?)
}

async fn type_in(client: &Client, text: &str) -> Result {
    let input = client.find(Locator::Css("#reponse")).await?;
    input.send_keys(text).await?;
    Ok(())
}

/// Whether the first line of the last answer or hand-off is inside the conversation's
/// visible area, and has the keyboard focus on its message.
async fn first_sentence_in_view(client: &Client) -> Result<bool> {
    let seen = script(
        client,
        "const items = document.querySelectorAll('#log > li.guichet'); \
         const item = items[items.length - 1]; \
         const first = item.querySelector('.body p, .body h3'); \
         const r = first.getBoundingClientRect(); \
         const s = document.getElementById('defilement').getBoundingClientRect(); \
         return r.top >= s.top - 1 && r.top + 10 <= s.bottom && document.activeElement === item;",
    )
    .await?;
    Ok(seen == json!(true))
}

/// The conversation's text, or "" when the log is empty.
async fn conversation_text(client: &Client) -> Result<String> {
    let text = script(client, "return document.getElementById('log').innerText").await?;
    Ok(text.as_str().unwrap_or_default().to_string())
}

/// The page in dark mode: the start and an answer with its « pourquoi », checked by axe.
async fn dark(page: &mut Page<'_>, site: &str) -> Result {
    let client = page.client;
    client.goto(site).await?;
    let dark = script(
        client,
        "return matchMedia('(prefers-color-scheme: dark)').matches",
    )
    .await?;
    assert_eq!(dark, json!(true), "dark mode");
    page.viewport(SIZES[1].0, SIZES[1].1).await?;
    wait_text(client, "//p[@class='prompt' and starts-with(., 'Bonjour')]").await?;
    page.check("dark: start").await?;
    click(client, &button("Mes congés annuels : combien de jours ?")).await?;
    click(client, &button("Fonctionnaire titulaire")).await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][contains(., 'par semaine')]",
    )
    .await?;
    type_in(client, "5\n").await?;
    wait_text(client, "//li[.//h3[normalize-space()='Réponse']]").await?;
    click(client, &button("Pourquoi ?")).await?;
    wait_text(
        client,
        "//details[@open]/summary[normalize-space()='Pourquoi cette réponse ?']",
    )
    .await?;
    page.check("dark: answer with why").await?;
    click(client, &button("Terminer et effacer")).await?;
    wait_text(
        client,
        "//p[@class='prompt' and starts-with(., 'Conversation effacée.')]",
    )
    .await?;
    Ok(())
}

/// A kiosk left alone: the conversation is cleared from the screen, the tab and the server.
async fn idle(client: &Client, kiosk: &str) -> Result {
    client.goto(kiosk).await?;
    click(client, &button("Mes jours de RTT")).await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][normalize-space()='Quel est votre statut ?']",
    )
    .await?;
    let id = script(
        client,
        "return sessionStorage.getItem('guichet.conversation')",
    )
    .await?;
    let id = id.as_str().ok_or("no conversation id")?.to_string();
    let warning = wait_text(client, "//div[@id='inactivite' and not(@hidden)]").await?;
    assert!(warning.contains("sera effacée"), "{warning}");
    wait_text(client, "//p[@class='prompt' and starts-with(., 'Conversation effacée après 3 secondes sans activité.')]").await?;
    assert!(!conversation_text(client).await?.contains("statut"));
    let stored = script(
        client,
        "return sessionStorage.getItem('guichet.conversation')",
    )
    .await?;
    assert_eq!(stored, Value::Null);
    let gone = script(
        client,
        &format!("return fetch('/api/sessions/{id}').then(r => r.status)"),
    )
    .await?;
    assert_eq!(gone, json!(404), "deleted on the server");
    Ok(())
}

/// The server stops mid-conversation: the typed text is kept, « Réessayer » and the HR number shown.
async fn offline(client: &Client, site: &str, server: &mut Option<Guard>) -> Result {
    client.goto(site).await?;
    click(client, &button("Mes jours de RTT")).await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][normalize-space()='Quel est votre statut ?']",
    )
    .await?;
    drop(server.take());
    type_in(client, "titulaire\n").await?;
    let error = wait_text(client, "//li[contains(@class, 'error')]").await?;
    assert!(error.contains("Le serveur ne répond pas"), "{error}");
    assert!(error.contains("02 00 00 40 00"), "{error}");
    find(client, &button("Réessayer")).await?;
    let kept = script(client, "return document.getElementById('reponse').value").await?;
    assert_eq!(kept, json!("titulaire"), "the typed text is kept");
    let busy = script(
        client,
        "return document.getElementById('log').getAttribute('aria-busy')",
    )
    .await?;
    assert_eq!(busy, json!("false"));
    Ok(())
}

async fn walk(page: &mut Page<'_>, site: &str, dir: &Path) -> Result {
    let client = page.client;
    client.goto(site).await?;
    assert_eq!(client.title().await?, "Guichet RH — Ville d'Exemple");
    page.viewport(SIZES[1].0, SIZES[1].1).await?;

    // On load the skip link is the first thing the keyboard reaches; the HR number is in the page.
    wait_text(client, "//p[@class='prompt' and starts-with(., 'Bonjour')]").await?;
    let focused = script(client, "return document.activeElement === document.body").await?;
    assert_eq!(focused, json!(true), "nothing focused on load");
    client
        .find(Locator::Css("body"))
        .await?
        .send_keys("\u{e004}")
        .await?;
    let first = script(client, "return document.activeElement.className").await?;
    assert_eq!(first, json!("skip"), "Tab reaches the skip link first");
    let footer = wait_text(client, "//footer").await?;
    assert!(footer.contains("02 00 00 40 00"), "{footer}");
    page.check("start").await?;

    // « Parler à une personne » before a topic: the HR contact, not the topic list.
    click(client, &button("Parler à une personne")).await?;
    let card = wait_text(
        client,
        "//li[.//h3[normalize-space()='Parler à une personne']]",
    )
    .await?;
    assert!(card.contains("02 00 00 40 00"), "{card}");

    // The topic menu is numbered; choosing a topic puts the keyboard focus on the first choice.
    click(client, &button("Mes congés annuels : combien de jours ?")).await?;
    wait_text(
        client,
        "//p[@class='prompt' and normalize-space()='Quel est votre statut ?']",
    )
    .await?;
    let focused = script(client, "return document.activeElement.textContent").await?;
    assert_eq!(
        focused, "1. Fonctionnaire titulaire",
        "keyboard focus on the first choice, its number shown"
    );
    page.check("question").await?;
    click(client, &button("Fonctionnaire titulaire")).await?;

    // A reload mid-conversation finds it again, the choice shown by its label.
    wait_text(
        client,
        "//p[@class='prompt' and contains(., 'par semaine')]",
    )
    .await?;
    client.refresh().await?;
    wait_text(
        client,
        "//p[starts-with(normalize-space(), 'Reprise de votre conversation')]",
    )
    .await?;
    let agent = wait_text(client, "(//li[contains(@class, 'agent')])[last()]/p").await?;
    assert_eq!(agent, "Fonctionnaire titulaire", "the label, not the value");
    let stored = script(
        client,
        "return [sessionStorage.getItem('guichet.conversation'), localStorage.length]",
    )
    .await?;
    assert!(stored[0].is_string() && stored[1] == json!(0), "{stored}");

    // A long reply that is refused: not echoed in full; then a good one, sent with the Enter key.
    let long = format!("douze {}", "et encore ".repeat(40));
    type_in(client, &format!("{long}\n")).await?;
    let error = wait_text(client, "//li[contains(@class, 'error')]").await?;
    assert!(error.contains("nombre") && error.len() < 400, "{error}");
    page.check("invalid reply").await?;
    type_in(client, "5\n").await?;

    // The answer: its first sentence in view with the focus, its sources, its link, the plain why.
    let answer = wait_text(client, "//li[.//h3[normalize-space()='Réponse']]").await?;
    assert!(answer.contains("25 jours de congés annuels"), "{answer}");
    assert!(answer.contains("Sources"), "{answer}");
    assert!(
        first_sentence_in_view(client).await?,
        "answer in view and focused"
    );
    let link = client
        .find(Locator::XPath(
            "//li[.//h3[normalize-space()='Réponse']]//p/a",
        ))
        .await?;
    assert!(link
        .attr("href")
        .await?
        .is_some_and(|h| h.starts_with("https://")));
    assert!(
        link.text().await?.contains("(nouvelle fenêtre)")
            || link.html(true).await?.contains("nouvelle fenêtre")
    );
    // The screenshots of docs/server.md.
    for (name, (width, height)) in [("desktop", SIZES[0]), ("phone", SIZES[1])] {
        page.viewport(width, height).await?;
        script(client, "document.querySelector('#log > li.guichet:last-of-type').scrollIntoView({block: 'start'})").await?;
        std::fs::write(dir.join(format!("{name}.png")), client.screenshot().await?)?;
    }

    // Why, in plain words: what the agent said, the rule, the sources; no file:line.
    click(client, &button("Pourquoi ?")).await?;
    let why = wait_text(
        client,
        "//li[.//details[@open]/summary[normalize-space()='Pourquoi cette réponse ?']]",
    )
    .await?;
    assert!(why.contains("Vous avez indiqué"), "{why}");
    assert!(why.contains("Fonctionnaire titulaire"), "{why}");
    assert!(why.contains("La règle qui s'applique"), "{why}");
    assert!(why.contains("Décret n° 85-1250"), "{why}");
    assert!(
        !why.contains(".guichet:"),
        "no rule locations for agents: {why}"
    );
    page.check("answer with why").await?;

    // Print to PDF: the answer's text is in it.
    let pdf = client.print(Default::default()).await?;
    let text = pdf_extract::extract_text_from_mem(&pdf)?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("25 jours de congés annuels"),
        "printed: {text}"
    );
    // « Imprimer la réponse » prints that answer alone (the classes its button sets).
    script(
        client,
        "const answer = document.evaluate(\"//li[.//h3[normalize-space()='Réponse']]\", document, null, 9, null).singleNodeValue; \
         answer.classList.add('to-print'); document.body.classList.add('print-one');",
    )
    .await?;
    let pdf = client.print(Default::default()).await?;
    script(client, "document.body.classList.remove('print-one')").await?;
    let alone = pdf_extract::extract_text_from_mem(&pdf)?;
    let alone = alone.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        alone.contains("25 jours de congés annuels"),
        "printed: {alone}"
    );
    assert!(
        !alone.contains("Quel est votre statut"),
        "the answer alone: {alone}"
    );

    // Feedback.
    click(client, &button("Oui, merci")).await?;
    wait_text(client, "//p[normalize-space()='Merci pour votre avis.']").await?;

    // Kiosk: a finished conversation is not resumed; the next visit shows nothing of it.
    client.refresh().await?;
    wait_text(client, "//p[@class='prompt' and starts-with(., 'Bonjour')]").await?;
    let page_text = conversation_text(client).await?;
    assert!(!page_text.contains("25 jours"), "{page_text}");
    assert!(!page_text.contains("Reprise"), "{page_text}");

    // A new topic, then the hand-off on request: phrased as asked, its card in view.
    click(client, &button("Mes jours de RTT")).await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][normalize-space()='Quel est votre statut ?']",
    )
    .await?;
    click(client, &button("Parler à une personne")).await?;
    let handoff = wait_text(
        client,
        "//li[.//h3[starts-with(normalize-space(), 'Je vous oriente vers')]]",
    )
    .await?;
    assert!(
        handoff.contains("Vous avez demandé à parler à une personne"),
        "{handoff}"
    );
    assert!(
        handoff.contains("Cette réponse vous a-t-elle aidé ?"),
        "{handoff}"
    );
    assert!(
        first_sentence_in_view(client).await?,
        "hand-off card in view and focused"
    );
    page.check("hand-off").await?;

    // Kiosk: « Terminer et effacer » deletes the visit's conversations on the server, clears
    // the screen, and carries nothing over to the next person.
    click(client, &button("Nouveau sujet")).await?;
    click(client, &button("Mes congés annuels : combien de jours ?")).await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][normalize-space()='Quel est votre statut ?']",
    )
    .await?;
    click(client, &button("Fonctionnaire titulaire")).await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][contains(., 'par semaine')]",
    )
    .await?;
    let id = script(
        client,
        "return sessionStorage.getItem('guichet.conversation')",
    )
    .await?;
    let id = id
        .as_str()
        .ok_or("no conversation id in sessionStorage")?
        .to_string();
    assert_eq!(id.len(), 32);
    click(client, &button("Nouveau sujet")).await?;
    click(client, &button("Terminer et effacer")).await?;
    wait_text(
        client,
        "//p[@class='prompt' and starts-with(., 'Conversation effacée.')]",
    )
    .await?;
    let gone = script(
        client,
        &format!("return fetch('/api/sessions/{id}').then(r => r.status)"),
    )
    .await?;
    assert_eq!(gone, json!(404), "deleted on the server");
    click(client, &button("Mes jours de RTT")).await?;
    let first = wait_text(
        client,
        "(//li[contains(@class, 'guichet')])[last()][.//p[@class='prompt' and normalize-space()='Quel est votre statut ?']]",
    )
    .await?;
    assert!(
        first.contains("Quel est votre statut ?") && !first.contains("plus tôt"),
        "nothing carried over: {first}"
    );
    click(client, &button("Terminer et effacer")).await?;
    wait_text(
        client,
        "//p[@class='prompt' and starts-with(., 'Conversation effacée.')]",
    )
    .await?;
    client.refresh().await?;
    wait_text(client, "//p[@class='prompt' and starts-with(., 'Bonjour')]").await?;
    let page_text = conversation_text(client).await?;
    assert!(!page_text.contains("statut"), "{page_text}");

    // A free-text question: typed words filter the topic buttons, Envoyer routes the question.
    type_in(client, "congés").await?;
    let hidden = script(
        client,
        "const g = document.querySelectorAll('.choices.topics'); \
         return Array.from(g[g.length - 1].querySelectorAll('button')).filter(b => b.hidden).length",
    )
    .await?;
    assert!(hidden.as_u64().is_some_and(|n| n > 0), "filtered: {hidden}");
    type_in(client, " : je suis contractuelle, combien ?\n").await?;
    let routed = wait_text(
        client,
        "//p[starts-with(normalize-space(), 'Votre question porte sur')]/..",
    )
    .await?;
    assert!(
        routed.contains("Mes congés annuels") && routed.contains("Agent contractuel"),
        "{routed}"
    );
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][contains(., 'par semaine')]",
    )
    .await?;

    // At 400 % zoom, the answer's first sentence arrives in view too.
    page.viewport(SIZES[2].0, SIZES[2].1).await?;
    type_in(client, "5\n").await?;
    let answer = wait_text(
        client,
        "//li[.//h3[normalize-space()='Réponse'] and contains(., 'contractuels')]",
    )
    .await?;
    assert!(answer.contains("Sources"), "{answer}");
    assert!(
        first_sentence_in_view(client).await?,
        "answer in view at 320×256"
    );
    page.viewport(SIZES[1].0, SIZES[1].1).await?;
    // The answer says it used the statut taken from the question.
    let answer = wait_text(
        client,
        "(//li[.//h3[normalize-space()='Réponse']])[last()][.//p[@class='note']]",
    )
    .await?;
    assert!(
        answer.contains("Cette réponse tient compte de ce que je n'ai pas demandé")
            && answer.contains("Agent contractuel"),
        "{answer}"
    );

    // « corriger » after the answer: the statut is asked, the replies that
    // follow continue this conversation.
    type_in(client, "corriger\n").await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][normalize-space()='Quel est votre statut ?']",
    )
    .await?;
    type_in(client, "contractuel\n").await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][contains(., 'par semaine')]",
    )
    .await?;
    type_in(client, "5\n").await?;
    wait_text(
        client,
        "(//li[.//h3[normalize-space()='Réponse']])[last()][contains(., 'contractuels') and not(contains(., 'tient compte'))]",
    )
    .await?;

    // An ambiguous question: the likely topics as buttons.
    click(client, &button("Nouveau sujet")).await?;
    type_in(client, "nb de rtt et de ca par an\n").await?;
    wait_text(
        client,
        "//p[@class='prompt' and contains(., 'plusieurs sujets')]",
    )
    .await?;
    click(client, &button("Mes jours de RTT")).await?;
    // The statut the previous topic took from « je suis contractuelle » is not
    // asked again: it is shown, with « corriger », which replays the walk.
    let understood = wait_text(
        client,
        "//p[@class='understood'][contains(., 'Agent contractuel') and contains(., 'plus tôt')]",
    )
    .await?;
    assert!(
        understood.contains("Agent contractuel")
            && understood.contains("répondu plus tôt dans la conversation")
            && understood.contains("corriger"),
        "{understood}"
    );
    type_in(client, "corriger\n").await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][normalize-space()='Quel est votre statut ?']",
    )
    .await?;

    // No topic: the hand-off to the DRH, with the question.
    click(client, &button("Nouveau sujet")).await?;
    type_in(client, "xylophone zanzibar orange\n").await?;
    let handoff = wait_text(
        client,
        "//li[.//h3[starts-with(normalize-space(), 'Je vous oriente vers')] and .//p[contains(., 'xylophone zanzibar orange')]]",
    )
    .await?;
    assert!(
        handoff.contains("direction des ressources humaines"),
        "{handoff}"
    );
    std::fs::write(dir.join("handoff.png"), client.screenshot().await?)?;

    // The agent's own words are text, never markdown: a link typed in the question stays text.
    click(client, &button("Nouveau sujet")).await?;
    type_in(
        client,
        "xylophone zanzibar [cliquez ici](https://exemple.invalid/piege)\n",
    )
    .await?;
    let quoted = wait_text(
        client,
        "//li[.//h3[starts-with(normalize-space(), 'Je vous oriente vers')]]//p[contains(., 'cliquez ici')]",
    )
    .await?;
    assert!(
        quoted.contains("[cliquez ici](https://exemple.invalid/piege)"),
        "{quoted}"
    );
    let links = script(
        client,
        "return document.querySelectorAll('a[href*=\"exemple.invalid\"]').length;",
    )
    .await?;
    assert_eq!(links, json!(0), "no live link from the agent's text");

    // The accessibility statement, linked from the footer.
    client.goto(&format!("{site}/accessibilite")).await?;
    let statement = wait_text(client, "//main").await?;
    assert!(statement.contains("Défenseur des droits"), "{statement}");
    assert!(statement.contains("non conforme"), "{statement}");
    page.check("accessibility statement").await?;

    // The admin page: a login form (not the browser's prompt), then the statistics.
    client.goto(&format!("{site}/admin")).await?;
    wait_text(client, "//h1[contains(., 'Connexion')]").await?;
    page.check("admin login").await?;
    client
        .find(Locator::Css("#jeton"))
        .await?
        .send_keys(&format!("{ADMIN}\n"))
        .await?;
    let admin = wait_text(client, "//main").await?;
    assert!(admin.contains("Statistiques du guichet RH"), "{admin}");
    assert!(admin.contains("xylophone zanzibar orange"), "{admin}");
    page.check("admin").await?;
    std::fs::write(dir.join("admin.png"), client.screenshot().await?)?;
    Ok(())
}

// ---------------------------------------------------------------- requests to a person (issue 13)

const INBOX_TOKEN: &str = "jeton-du-pole-encadrement-0123";

/// `guichet serve` with a contacts file in which `encadrement` opens the inbox with a token.
fn start_requests_server(dir: &Path) -> Result<(Guard, String)> {
    let contacts = dir.join("contacts.txt");
    std::fs::write(&contacts, format!("encadrement jeton:{INBOX_TOKEN}\n"))?;
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["serve", rules, "--addr", "127.0.0.1:0", "--db"])
        .arg(dir.join("g.db"))
        .arg("--contacts")
        .arg(&contacts)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let guard = Guard(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
            if let Some(at) = line.find("écoute sur http://") {
                let rest = &line[at + "écoute sur ".len()..];
                let _ = tx.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(60))?;
    Ok((guard, url))
}

/// The agent clicks « Transmettre », the contact answers in /inbox (another tab), and the
/// agent's page shows the reply without a reload, then again after one.
#[test]
fn a_question_is_transmitted_answered_in_the_inbox_and_the_reply_shown_in_chromium() -> Result {
    let required = std::env::var("GUICHET_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let chromium = find_program(&["chromium", "chromium-browser"]);
    let driver = find_program(&["chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        if required {
            return Err("GUICHET_REQUIRE_BROWSER=1 but chromium or chromedriver is missing".into());
        }
        eprintln!("skipped: chromium and chromedriver are not installed");
        return Ok(());
    };
    let dir = std::env::temp_dir()
        .join("guichet-browser-requests")
        .join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let (_server, site) = start_requests_server(&dir)?;
    let (_driver, webdriver) = start_driver(&driver)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=420,900",
                    format!("--user-data-dir={}", dir.join("profile").display()),
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await?;
        let result = transmit_and_answer(&client, &site).await;
        if result.is_err() {
            if let Ok(png) = client.screenshot().await {
                let _ = std::fs::write(dir.join("requests-failure.png"), png);
            }
        }
        let _ = client.close().await;
        result
    })
}

async fn transmit_and_answer(client: &Client, site: &str) -> Result {
    client.goto(site).await?;
    click(client, &button("Qui est mon gestionnaire de carrière ?")).await?;
    click(
        client,
        "//button[starts-with(normalize-space(text()[last()]), 'Catégorie A') and not(@disabled)]",
    )
    .await?;
    let message = "Merci de me dire qui suit mon dossier de détachement.";
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("form.transmit textarea"))
        .await?
        .send_keys(message)
        .await?;
    click(
        client,
        &button("Transmettre ma question au pôle encadrement de la DRH"),
    )
    .await?;
    let sent = wait_text(client, "//p[@class='request-sent']").await?;
    assert!(sent.contains("au pôle encadrement de la DRH"), "{sent}");
    let agent = client.window().await?;

    // The contact, in another tab: signs in, reads the request, answers it.
    let inbox = client.new_window(true).await?;
    client.switch_to_window(inbox.handle).await?;
    client.goto(&format!("{site}/inbox")).await?;
    client
        .find(Locator::Css("#contact"))
        .await?
        .send_keys("encadrement")
        .await?;
    client
        .find(Locator::Css("#secret"))
        .await?
        .send_keys(INBOX_TOKEN)
        .await?;
    click(client, &button("Ouvrir ma boîte")).await?;
    let request = wait_text(client, "//li[contains(@class, 'request')]").await?;
    assert!(request.contains(message), "{request}");
    assert!(
        request.contains("Catégorie A"),
        "the facts gathered: {request}"
    );
    let reply =
        "Le pôle encadrement suit votre détachement : Mme Roussel vous appelle cette semaine.";
    client
        .find(Locator::Css("li.request textarea"))
        .await?
        .send_keys(reply)
        .await?;
    click(client, &button("Envoyer la réponse")).await?;
    wait_text(client, "//div[@class='reply-given']").await?;

    // The agent's page shows it (looked at every few seconds), and again after a reload.
    client.switch_to_window(agent).await?;
    let shown = wait_text(client, "//div[@class='request-reply']").await?;
    assert!(shown.contains(reply), "{shown}");
    client.refresh().await?;
    let shown = wait_text(client, "//div[@class='request-reply']").await?;
    assert!(shown.contains(reply), "{shown}");
    Ok(())
}
