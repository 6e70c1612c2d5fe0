//! `guichet repl`: the command processor driven without a terminal
//! (snapshots of whole sessions, errors included), its completion and
//! multi-line input, and the real binary through a pseudo-terminal.

use guichet::front::repl::{incomplete, run_script, Loader, Repl};
use guichet::span::Sources;
use std::cell::RefCell;
use std::rc::Rc;
use time::macros::date;

const RULES: &str = include_str!("fixtures/repl/regles.guichet");
const NAME: &str = "tests/fixtures/repl/regles.guichet";

/// A REPL on one in-memory rule file that a test can edit between inputs.
struct Harness {
    text: Rc<RefCell<String>>,
    repl: Repl,
    transcript: String,
}

impl Harness {
    fn new() -> Harness {
        let text = Rc::new(RefCell::new(RULES.to_string()));
        let files = text.clone();
        let loader: Loader = Box::new(move || {
            let mut sources = Sources::new();
            sources.add(NAME, files.borrow().clone());
            Ok(sources)
        });
        let (repl, banner) = Repl::new(loader, date!(2025 - 03 - 01)).expect("the loader reads");
        Harness {
            text,
            repl,
            transcript: banner,
        }
    }

    /// Types each line of `script`, as a piped stdin would.
    fn run(&mut self, script: &str) -> &mut Harness {
        let mut out = Vec::new();
        run_script(&mut self.repl, "", script.as_bytes(), &mut out).expect("writes to memory");
        self.transcript
            .push_str(&String::from_utf8(out).expect("the REPL writes UTF-8"));
        self
    }

    /// Edits the rule file « on disk », and says so in the transcript.
    fn edit(&mut self, from: &str, to: &str) -> &mut Harness {
        let edited = self.text.borrow().replacen(from, to, 1);
        assert_ne!(*self.text.borrow(), edited, "the edit must change the file");
        *self.text.borrow_mut() = edited;
        self.transcript
            .push_str(&format!("# (fichier modifié : « {from} » → « {to} »)\n"));
        self
    }
}

#[test]
fn walk_a_topic_with_replies_back_facts_why_and_eval() {
    let mut h = Harness::new();
    h.run(
        ":topics
:start conges
bof
titulaire
:back
contractuel
4
oui
:facts
:why
:eval droits_inconnus + 1
:eval 5 * jours + 1
:eval statut
:eval statut in {titulaire, contractuel} and enfant
:quit
après :quit, rien n'est lu",
    );
    insta::assert_snapshot!(h.transcript);
}

#[test]
fn errors_never_end_the_repl() {
    let mut h = Harness::new();
    h.run(
        "titulaire
:frobnicate
:strat conges
:start conge
:start 9
:facts
:why
:set statut titulaire
:set statu = titulaire
:set jours = 12
:set jours = beaucoup
:unset enfant
:trace peut-être
:break nulle_part.guichet:3
:break regles.guichet:3
:break conge
:unbreak 7
:continue
:eval 1 +* 2
:eval statut + 1
:eval anciennete
:graph conge
:start conges
:step
:help",
    );
    insta::assert_snapshot!(h.transcript);
}

#[test]
fn set_and_unset_replay_the_topic_with_the_replies_given() {
    let mut h = Harness::new();
    h.run(
        ":set jours = 5
:facts
:start conges
titulaire
non
:set jours = 4,5
:facts
:set enfant = oui
:unset jours
4
:facts
:restart
:eval jours",
    );
    insta::assert_snapshot!(h.transcript);
}

#[test]
fn trace_shows_each_node_and_goto_enters_the_next_topic() {
    let mut h = Harness::new();
    h.run(
        ":trace on
:start temps_partiel
5
titulaire
non
:trace off
:why",
    );
    insta::assert_snapshot!(h.transcript);
}

/// The issue's « done when »: break on a rule, edit the file, reload, continue;
/// a broken file is refused and the old program kept; once fixed, it loads.
#[test]
fn break_edit_reload_and_continue() {
    let mut h = Harness::new();
    h.run(
        ":break regles.guichet:28
:break temps_partiel
:break
:start conges
titulaire
4
:facts
:step
:step",
    );
    h.edit("let droits = 5 * jours", "let droits = 6 * jours");
    h.run(
        ":reload
:continue
non
:why",
    );
    h.edit("let droits = 6 * jours", "let droits = 6 * jourz");
    h.run(
        ":check
:reload
:facts
:back",
    );
    h.edit("let droits = 6 * jourz", "let droits = 6 * jours + 1");
    h.run(
        ":reload
:unbreak regles.guichet:28
:continue
:break conges
:start temps_partiel
:continue
5
:continue
:unbreak
:start temps_partiel",
    );
    insta::assert_snapshot!(h.transcript);
}

#[test]
fn reload_when_the_topic_is_gone_and_start_with_broken_rules() {
    let mut h = Harness::new();
    h.run(":start anciennete\n01/09/2015");
    h.edit("topic anciennete", "topic anciennete_agent");
    h.run(":reload\n:topics\n:facts");
    h.edit("fact enfant: yesno", "fact enfant: yesnon");
    h.run(":reload\n:start anciennete_agent");

    // A REPL may also start on broken rules, to fix them and reload.
    let broken = Rc::new(RefCell::new(RULES.replace("range 1..6", "range 6..1")));
    let files = broken.clone();
    let loader: Loader = Box::new(move || {
        let mut sources = Sources::new();
        sources.add(NAME, files.borrow().clone());
        Ok(sources)
    });
    let (repl, banner) = Repl::new(loader, date!(2025 - 03 - 01)).expect("the loader reads");
    let mut h2 = Harness {
        text: broken,
        repl,
        transcript: banner,
    };
    h2.run(":topics\n:start conges");
    h2.edit("range 6..1", "range 1..6");
    h2.run(":reload\n:start conges");
    insta::assert_snapshot!(format!("{}\n{}", h.transcript, h2.transcript));
}

#[test]
fn multi_line_input_waits_for_the_end_of_a_statement() {
    let mut h = Harness::new();
    h.run(
        ":set jours = 4
:eval (jours
  * 2
  )
:eval jours >
  3 and
  jours < 5
:eval max(jours, \\
  7)
:eval \"texte
sur deux lignes\" == \"x\"",
    );
    insta::assert_snapshot!(h.transcript);
}

#[test]
fn what_is_incomplete() {
    let cases = [
        (":eval (1 +", true),
        (":eval (1 + 2)", false),
        (":eval 1 +", true),
        (":eval jours and", true),
        (":eval jours >= 3", false),
        (":set prenom = \"Jean", true),
        (":set prenom = \"Jean\"", false),
        (":topics \\", true),
        ("(une réponse entre parenthèses", false),
        ("-", false),
        (":eval )", false),
    ];
    for (input, expected) in cases {
        assert_eq!(incomplete(input), expected, "{input:?}");
    }
}

#[test]
fn completion_of_commands_topics_facts_and_values() {
    let mut h = Harness::new();
    let complete = |h: &Harness, line: &str| {
        let (start, candidates) = h.repl.complete(line, line.len());
        format!("{line:?} → {start} {candidates:?}")
    };
    let mut out = Vec::new();
    for line in [
        ":st",
        ":start ",
        ":start te",
        ":graph conges ",
        ":break reg",
        ":trace o",
        ":set ",
        ":set st",
        ":set statut = ",
        ":set statut = co",
        ":set enfant=",
        ":unset jo",
        ":eval years(date_",
        ":eval statut == tit",
        "ti",
    ] {
        out.push(complete(&h, line));
    }
    h.run(":start conges");
    out.push(complete(&h, "co"));
    out.push(complete(&h, ""));
    h.run("titulaire\n4");
    out.push(complete(&h, "o"));
    insta::assert_snapshot!(out.join("\n"));
}

// ---------------------------------------------------------------- the real binary

fn guichet() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
}

#[test]
fn piped_stdin_gives_a_transcript() {
    let output = guichet()
        .args(["repl", "tests/fixtures/repl", "--today", "01/03/2025"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin is piped")
                .write_all(b":start conges\nvacataire\n:oops\n:why\n")?;
            child.wait_with_output()
        })
        .expect("guichet runs");
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(stdout.contains("guichet> :start conges\n"), "{stdout}");
    assert!(
        stdout.contains("Transfert à la direction des ressources humaines"),
        "{stdout}"
    );
    assert!(
        stdout.contains("erreur : commande inconnue « :oops »"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tests/fixtures/repl/regles.guichet:26:18  transfert"),
        "{stdout}"
    );
}

/// rustyline in a pseudo-terminal: completion with Tab, multi-line input,
/// history kept between two runs. (rexpect reads bytes as Latin-1: the
/// texts awaited are ASCII.)
#[test]
fn terminal_session_with_completion_multi_line_and_history() {
    let state = std::env::temp_dir().join(format!("guichet-repl-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let spawn = || {
        let mut command = guichet();
        command
            .args(["repl", "tests/fixtures/repl", "--today", "01/03/2025"])
            .env("XDG_STATE_HOME", &state)
            .env("TERM", "xterm")
            .env_remove("NO_COLOR");
        rexpect::session::spawn_command(command, Some(20_000)).expect("a pseudo-terminal")
    };

    let mut p = spawn();
    p.exp_string("guichet> ").expect("first prompt");
    // `:sta` + Tab completes to `:start`.
    p.send(":sta").expect("types");
    p.send("\t").expect("tab");
    p.send_line(" conges").expect("types");
    p.exp_string("Mes cong").expect("the topic starts");
    p.exp_string("conges> ").expect("prompt");
    p.send_line("contractuel").expect("reply");
    p.exp_string("jours").expect("next question");
    p.send_line("5").expect("reply");
    p.exp_string("ponse (tests/fixtures/repl/regles.guichet:33:9)")
        .expect("an answer");
    p.exp_string("25 jours").expect("the answer's text");
    // An open parenthesis: the line goes on.
    p.send_line(":eval (jours +").expect("types");
    p.send_line("1)").expect("types");
    p.exp_string("= 6").expect("the value");
    p.send_line(":topics").expect("types");
    p.exp_string("temps_partiel").expect("the list");
    p.send_line(":quit").expect("types");
    p.exp_eof().expect("the REPL ends");

    let history = std::fs::read_to_string(state.join("guichet/history")).expect("history saved");
    assert!(history.contains(":start conges"), "{history}");
    assert!(history.contains(":topics"), "{history}");

    // The next run remembers: ↑↑ brings back `:topics` (before `:quit`).
    let mut p = spawn();
    p.exp_string("guichet> ").expect("first prompt");
    p.send("\x1b[A\x1b[A\r").expect("arrow keys");
    p.flush().expect("sent");
    p.exp_string("temps_partiel  Travailler")
        .expect("the topics again");
    p.send_control('d').expect("Ctrl-D");
    p.exp_eof().expect("the REPL ends on Ctrl-D");
    let _ = std::fs::remove_dir_all(&state);
}
