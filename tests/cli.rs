//! Binary tests: the real `guichet`, its exit codes, stdout and stderr.
//!
//! [`Run`] is a small builder in the manner of casey/just's tests: arguments,
//! standard input, then the expected code; output is checked by snapshots or
//! by the specific lines that matter.

use std::io::Write;
use std::process::{Command, Output, Stdio};

struct Run {
    args: Vec<String>,
    stdin: String,
}

fn guichet(args: &[&str]) -> Run {
    Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        stdin: String::new(),
    }
}

impl Run {
    fn stdin(mut self, text: &str) -> Run {
        self.stdin = text.to_string();
        self
    }

    /// Runs the binary and checks its exit code; returns (stdout, stderr).
    fn code(self, expected: i32) -> (String, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .args(&self.args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(self.stdin.as_bytes())
            .expect("stdin is writable");
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().expect("the binary ends");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&stdout).into_owned(),
            String::from_utf8_lossy(&stderr).into_owned(),
        );
        assert_eq!(
            status.code(),
            Some(expected),
            "args {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            self.args
        );
        (stdout, stderr)
    }
}

#[test]
fn check_of_the_bundled_rules_exits_0_without_diagnostics() {
    let (_, stderr) = guichet(&["check", "rules/"]).code(0);
    assert!(stderr.starts_with("0 erreur, 0 avertissement"), "{stderr}");
}

#[test]
fn check_of_a_file_with_errors_exits_1_and_renders_them() {
    let (_, stderr) = guichet(&[
        "check",
        "tests/fixtures/diagnostics/E401-non-exhaustive-choice.guichet",
    ])
    .code(1);
    assert!(
        stderr.contains("error[E401]: ce `match` ne couvre pas tous les cas"),
        "{stderr}"
    );
    assert!(
        stderr.contains("E401-non-exhaustive-choice.guichet:9:9"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("1 erreur, 0 avertissement : 1 fichier(s) vérifié(s)\n"),
        "{stderr}"
    );
}

#[test]
fn check_with_only_warnings_exits_0() {
    let (_, stderr) = guichet(&[
        "check",
        "tests/fixtures/diagnostics/W006-answer-without-source.guichet",
    ])
    .code(0);
    assert!(stderr.contains("warning[W006]"), "{stderr}");
}

#[test]
fn check_json_gives_file_line_column_and_code() {
    let (stdout, _) = guichet(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/diagnostics/E203-unknown-choice-value.guichet",
    ])
    .code(1);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    let first = &json[0];
    assert_eq!(first["code"], "E203");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["span"]["start"]["line"], 12);
    assert_eq!(first["span"]["start"]["column"], 5);
    assert!(first["file"]
        .as_str()
        .is_some_and(|f| f.ends_with("E203-unknown-choice-value.guichet")));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let (_, stderr) = guichet(&["check", "nulle/part"]).code(2);
    assert!(
        stderr.contains("impossible de lire nulle/part : fichier ou dossier introuvable"),
        "{stderr}"
    );
    guichet(&["check"]).code(2);
    guichet(&["frobnicate"]).code(2);
    let (_, stderr) = guichet(&["check", "tests/fixtures/cli"]).code(2);
    assert!(stderr.contains("aucun fichier .guichet"), "{stderr}");
}

#[test]
fn topics_lists_one_tab_separated_line_per_topic() {
    let (stdout, _) = guichet(&["topics", "examples/demarrage"]).code(0);
    assert_eq!(stdout, "conges_annuels\tMes congés annuels\n");
}

#[test]
fn chat_transcript_with_a_bad_reply_why_and_back() {
    let (stdout, _) = guichet(&[
        "chat",
        "examples/demarrage",
        "--topic",
        "conges_annuels",
        "--today",
        "25/11/2026",
    ])
    .stdin("bof\ncontractuelle\n9\n4\npourquoi\nretour\n5\n")
    .code(0);
    insta::assert_snapshot!(stdout);
}

#[test]
fn chat_json_transcript_with_profile_and_hand_off() {
    let (stdout, _) = guichet(&[
        "chat",
        "examples/demarrage",
        "--topic",
        "conges_annuels",
        "--json",
        "--profile",
        "direction=finances",
        "--today",
        "25/11/2026",
    ])
    .stdin("vacataire\nrecommencer\n\npersonne\n")
    .code(0);
    for line in stdout.lines() {
        let object: serde_json::Value =
            serde_json::from_str(line).expect("each line is one JSON object");
        assert!(
            ["ask", "answer", "handoff", "error"].contains(&object["type"].as_str().unwrap_or("")),
            "{line}"
        );
    }
    insta::assert_snapshot!(stdout);
}

/// Issue 11: what a free-text question states is shown before the first
/// question (or with the answer), « corriger » forgets it and replays the
/// walk, and the next topic takes what the first one knows.
#[test]
fn chat_shows_what_it_understood_corrects_it_and_carries_it_over() {
    let (stdout, _) = guichet(&["chat", "tests/fixtures/extraction", "--today", "25/11/2026"])
        .stdin(
            "je suis contractuelle, combien de congés ?\ncorriger\ntitulaire\n4\n\
             combien de jours de RTT ?\ncorriger\ncontractuel\n\
             je suis titulaire et je travaille 4 jours par semaine, combien de congés ?\n",
        )
        .code(0);
    insta::assert_snapshot!(stdout);
}

#[test]
fn chat_menu_then_topic_by_number() {
    let (stdout, _) = guichet(&["chat", "examples/demarrage", "--today", "25/11/2026"])
        .stdin("7\n1\n1\n5\n")
        .code(0);
    insta::assert_snapshot!(stdout);
}

#[test]
fn chat_refuses_an_unknown_topic_with_a_suggestion() {
    let (_, stderr) = guichet(&["chat", "examples/demarrage", "--topic", "conge_annuels"]).code(2);
    assert!(
        stderr.contains("vouliez-vous dire « conges_annuels » ?"),
        "{stderr}"
    );
}

#[test]
fn test_command_passes_on_the_example_and_prints_coverage() {
    let (stdout, _) = guichet(&["test", "examples/demarrage", "--today", "25/11/2026"]).code(0);
    insta::assert_snapshot!(stdout);
}

#[test]
fn test_command_shows_a_readable_diff_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("guichet-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::copy(
        "examples/demarrage/conges.guichet",
        dir.join("conges.guichet"),
    )
    .expect("copy rules");
    std::fs::write(
        dir.join("faux.gtest"),
        "test \"Mauvaise attente\" {\n  topic conges_annuels\n  reply \"titulaire\"\n  reply \"5\"\n  asks statut\n  expect answer \"30 jours\"\n}\n\ntest \"Transfert attendu\" {\n  topic conges_annuels\n  reply \"titulaire\"\n  reply \"5\"\n  expect handoff drh\n}\n",
    )
    .expect("write test");
    let (stdout, _) = guichet(&[
        "test",
        dir.to_str().expect("utf-8 path"),
        "--today",
        "25/11/2026",
    ])
    .code(1);
    let stdout = stdout.replace(dir.to_str().expect("utf-8 path"), "TMP");
    std::fs::remove_dir_all(&dir).ok();
    assert!(stdout.ends_with("0 passed, 2 failed\n"), "{stdout}");
    insta::assert_snapshot!(stdout);
}

/// The chat's commands at every state: the first menu, mid-topic, after an answer, after a
/// question no topic matched. Outside a conversation they are answered, never handed to HR
/// as a question; « quitter » ends the chat (what follows it is not read).
#[test]
fn chat_commands_at_every_state() {
    for (state, input) in [
        (
            "first_menu",
            "aide\npourquoi\nretour\npersonne\nquitter\n1\n",
        ),
        ("mid_topic", "1\naide\npourquoi\nretour\npersonne\n"),
        (
            "after_an_answer",
            "1\ntitulaire\n5\npourquoi\nretour\n4\nrecommencer\npersonne\nquitter\n",
        ),
        (
            "after_a_no_match",
            "badge perdu pour le parking\npourquoi\nrecommencer\naide\nretour\npersonne\nau revoir\n",
        ),
    ] {
        let (stdout, _) = guichet(&["chat", "examples/demarrage", "--today", "25/11/2026"])
            .stdin(input)
            .code(0);
        for command in ["pourquoi", "aide", "retour", "recommencer", "personne"] {
            assert!(
                !stdout.contains(&format!("Votre question : « {command} »")),
                "{state}: « {command} » sent on as a question\n{stdout}"
            );
        }
        assert!(stdout.trim_end().ends_with("Au revoir.") || state == "mid_topic");
        insta::assert_snapshot!(format!("chat_commands_{state}"), stdout);
    }
}

#[test]
fn chat_why_is_plain_and_the_trail_is_for_rule_writers() {
    let args = [
        "chat",
        "examples/demarrage",
        "--topic",
        "conges_annuels",
        "--today",
        "25/11/2026",
    ];
    let (plain, _) = guichet(&args).stdin("titulaire\n5\npourquoi\n").code(0);
    assert!(plain.contains("Vous avez indiqué"), "{plain}");
    assert!(!plain.contains(".guichet:"), "{plain}");
    let (trail, _) = guichet(&[&args[..], &["--trail"]].concat())
        .stdin("titulaire\n5\npourquoi\n")
        .code(0);
    assert!(trail.contains("Vous avez indiqué"), "{trail}");
    assert!(trail.contains("conges.guichet:"), "{trail}");
}
