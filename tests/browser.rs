//! The web chat in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`), driven over WebDriver: choose a topic, answer by
//! clicking and by typing, get the answer with its sources and link, ask
//! why, give feedback, reload the page and find the conversation again;
//! then type free-text questions: one routed to its topic (a fact taken
//! from it) and answered, one offered as a choice of topics, one handed off.
//!
//! Without Chromium or chromedriver the test says it skipped, unless
//! `GUICHET_REQUIRE_BROWSER=1` (set by `.ci/run`), where it fails.
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

fn start_server(db: &Path) -> Result<(Guard, String)> {
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["serve", rules, "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
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

/// The button whose whole text is `text`.
fn button(text: &str) -> String {
    format!("//button[normalize-space()=\"{text}\" and not(@disabled)]")
}

async fn click(client: &Client, xpath: &str) -> Result {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(xpath))
        .await
        .map_err(|e| format!("no {xpath}: {e}"))?
        .click()
        .await?;
    Ok(())
}

async fn wait_text(client: &Client, xpath: &str) -> Result<String> {
    let element = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(xpath))
        .await
        .map_err(|e| format!("no {xpath}: {e}"))?;
    Ok(element.text().await?)
}

async fn script(client: &Client, code: &str) -> Result<Value> {
    Ok(client.execute(code, vec![]).await?)
}

#[test]
fn a_topic_is_clicked_through_to_its_answer_and_feedback_in_chromium() -> Result {
    let required = std::env::var("GUICHET_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let chromium = find_program(&["chromium", "chromium-browser"]);
    let driver = find_program(&["chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        if required {
            return Err("GUICHET_REQUIRE_BROWSER=1 but chromium or chromedriver is missing".into());
        }
        eprintln!("skipped: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
        return Ok(());
    };
    let dir = std::env::temp_dir()
        .join("guichet-browser-test")
        .join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let (_server, site) = start_server(&dir.join("g.db"))?;
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
        let result = walk(&client, &site, &dir).await;
        let _ = client.close().await;
        result
    })
}

async fn walk(client: &Client, site: &str, dir: &Path) -> Result {
    client.goto(site).await?;
    assert_eq!(client.title().await?, "Guichet RH — Ville d'Exemple");

    // The topic menu; choosing a topic puts the keyboard focus on the first choice.
    click(client, &button("Mes congés annuels : combien de jours ?")).await?;
    wait_text(
        client,
        "//p[@class='prompt' and normalize-space()='Quel est votre statut ?']",
    )
    .await?;
    let focused = script(client, "return document.activeElement.textContent").await?;
    assert_eq!(
        focused, "Fonctionnaire titulaire",
        "keyboard focus on the first choice"
    );
    click(client, &button("Fonctionnaire titulaire")).await?;

    // A typed reply that is refused, then a good one, sent with the Enter key.
    wait_text(
        client,
        "//p[@class='prompt' and contains(., 'par semaine')]",
    )
    .await?;
    let input = client.find(Locator::Css("#reponse")).await?;
    input.send_keys("douze\n").await?;
    let error = wait_text(client, "//li[contains(@class, 'error')]").await?;
    assert!(error.contains("nombre"), "{error}");
    let input = client.find(Locator::Css("#reponse")).await?;
    input.send_keys("5\n").await?;

    // The answer, its sources, its link.
    let answer = wait_text(client, "//li[.//h3[normalize-space()='Réponse']]").await?;
    assert!(answer.contains("25 jours de congés annuels"), "{answer}");
    assert!(answer.contains("Sources"), "{answer}");
    let link = client
        .find(Locator::XPath(
            "//li[.//h3[normalize-space()='Réponse']]//p/a",
        ))
        .await?;
    assert!(link
        .attr("href")
        .await?
        .is_some_and(|h| h.starts_with("https://")));
    std::fs::write(dir.join("answer.png"), client.screenshot().await?)?;

    // Why: the rules applied.
    click(client, &button("Pourquoi ?")).await?;
    let why = wait_text(
        client,
        "//li[.//p[normalize-space()='Voici les règles appliquées :']]",
    )
    .await?;
    assert!(why.contains("statut"), "{why}");

    // Feedback.
    click(client, &button("Oui, merci")).await?;
    wait_text(client, "//p[normalize-space()='Merci pour votre avis.']").await?;
    let id = script(
        client,
        "return localStorage.getItem('guichet.conversation')",
    )
    .await?;
    let id = id
        .as_str()
        .ok_or("no conversation id in localStorage")?
        .to_string();
    assert_eq!(id.len(), 32);

    // A reload finds the conversation again, feedback given.
    client.refresh().await?;
    wait_text(
        client,
        "//p[starts-with(normalize-space(), 'Reprise de votre conversation')]",
    )
    .await?;
    let page = wait_text(client, "//ol[@id='log']").await?;
    assert!(page.contains("25 jours de congés annuels"));
    assert!(
        !page.contains("Cette réponse vous a-t-elle aidé ?"),
        "feedback already given"
    );
    let shown = script(
        client,
        &format!("return fetch('/api/sessions/{id}').then(r => r.json())"),
    )
    .await?;
    assert_eq!(shown["helpful"], true);
    assert_eq!(shown["done"], true);

    // A new topic from the button, then the hand-off on request.
    click(client, &button("Nouveau sujet")).await?;
    click(client, &button("Mes jours de RTT")).await?;
    // The statut answered in the first topic is not asked again: it is shown,
    // before the topic's first question.
    wait_text(
        client,
        "//li[.//p[@class='understood'][contains(., 'Fonctionnaire titulaire') and contains(., 'plus tôt')]]//p[@class='prompt']",
    )
    .await?;
    click(client, &button("Parler à une personne")).await?;
    let handoff = wait_text(
        client,
        "//li[.//h3[starts-with(normalize-space(), 'Je vous oriente vers')]]",
    )
    .await?;
    assert!(
        handoff.contains("Cette réponse vous a-t-elle aidé ?"),
        "{handoff}"
    );

    // A free-text question: typed words filter the topic buttons, Envoyer routes the question.
    click(client, &button("Nouveau sujet")).await?;
    let input = client.find(Locator::Css("#reponse")).await?;
    input.send_keys("congés").await?;
    let hidden = script(
        client,
        "const g = document.querySelectorAll('.choices.topics'); \
         return Array.from(g[g.length - 1].querySelectorAll('button')).filter(b => b.hidden).length",
    )
    .await?;
    assert!(hidden.as_u64().is_some_and(|n| n > 0), "filtered: {hidden}");
    input
        .send_keys(" : je suis contractuelle, combien ?\n")
        .await?;
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
    let input = client.find(Locator::Css("#reponse")).await?;
    input.send_keys("5\n").await?;
    let answer = wait_text(
        client,
        "//li[.//h3[normalize-space()='Réponse'] and contains(., 'contractuels')]",
    )
    .await?;
    assert!(answer.contains("Sources"), "{answer}");
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
    input.send_keys("corriger\n").await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][normalize-space()='Quel est votre statut ?']",
    )
    .await?;
    input.send_keys("contractuel\n").await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][contains(., 'par semaine')]",
    )
    .await?;
    input.send_keys("5\n").await?;
    wait_text(
        client,
        "(//li[.//h3[normalize-space()='Réponse']])[last()][contains(., 'contractuels') and not(contains(., 'tient compte'))]",
    )
    .await?;

    // An ambiguous question: the likely topics as buttons.
    click(client, &button("Nouveau sujet")).await?;
    let input = client.find(Locator::Css("#reponse")).await?;
    input.send_keys("nb de rtt par an\n").await?;
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
    let input = client.find(Locator::Css("#reponse")).await?;
    input.send_keys("corriger\n").await?;
    wait_text(
        client,
        "(//p[@class='prompt'])[last()][normalize-space()='Quel est votre statut ?']",
    )
    .await?;

    // No topic: the hand-off to the DRH, with the question.
    click(client, &button("Nouveau sujet")).await?;
    let input = client.find(Locator::Css("#reponse")).await?;
    input.send_keys("prime de noël\n").await?;
    let handoff = wait_text(
        client,
        "//li[.//h3[starts-with(normalize-space(), 'Je vous oriente vers')] and .//p[contains(., 'prime de noël')]]",
    )
    .await?;
    assert!(
        handoff.contains("direction des ressources humaines"),
        "{handoff}"
    );
    std::fs::write(dir.join("handoff.png"), client.screenshot().await?)?;

    // The agent's own words are text, never markdown: a link typed in the question stays text.
    click(client, &button("Nouveau sujet")).await?;
    let input = client.find(Locator::Css("#reponse")).await?;
    input
        .send_keys("xylophone zanzibar [cliquez ici](https://exemple.invalid/piege)\n")
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
        "//button[starts-with(normalize-space(), 'Catégorie A') and not(@disabled)]",
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
