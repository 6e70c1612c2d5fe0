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

/// The bundled topics await their sign-off by HR (issue 12: content fixes
/// first): until each has its `relu le … par …` line, the only warnings
/// allowed are W010. Once they all have one, this test is back to 0 warnings.
#[test]
fn check_of_the_bundled_rules_exits_0_without_diagnostics() {
    let (_, stderr) = guichet(&["check", "--today", "29/11/2026", "rules/"]).code(0);
    assert!(stderr.starts_with("0 erreur, 0 avertissement"), "{stderr}");
}

#[test]
fn check_warns_about_reviews_older_than_twelve_months_on_the_given_date() {
    let dated = "tests/fixtures/dated";
    let (_, stderr) = guichet(&["check", "--today", "15/11/2027", dated]).code(0);
    assert!(stderr.starts_with("0 erreur, 0 avertissement"), "{stderr}");
    let (_, stderr) = guichet(&["check", "--today", "16/11/2027", dated]).code(0);
    assert!(
        stderr.contains(
            "warning[W011]: le sujet `traitement_maladie` n'a pas été relu depuis plus de 12 mois"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("0 erreur, 2 avertissements"), "{stderr}");
    let (_, stderr) = guichet(&["check", "--today", "31/02/2027", dated]).code(2);
    assert!(stderr.contains("date invalide pour --today"), "{stderr}");
}

#[test]
fn doc_writes_an_index_a_page_a_topic_and_the_graphs() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-livret");
    let _ = std::fs::remove_dir_all(&out);
    let out_arg = out.to_str().expect("UTF-8 path");
    let (_, stderr) = guichet(&["doc", "tests/fixtures/dated", "-o", out_arg]).code(0);
    assert!(stderr.contains("3 page(s)"), "{stderr}");
    for file in [
        "index.html",
        "style.css",
        "traitement_maladie.html",
        "traitement_maladie_debut.html",
        "graphes/traitement_maladie.svg",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    guichet(&[
        "doc",
        "tests/fixtures/diagnostics/E401-non-exhaustive-choice.guichet",
        "-o",
        out_arg,
    ])
    .code(1);
    guichet(&["doc", "tests/fixtures/dated"]).code(2);
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
            "badge perdu pour le parking\npourquoi\ntransmettre\nrecommencer\naide\nretour\npersonne\nau revoir\n",
        ),
    ] {
        let (stdout, _) = guichet(&["chat", "examples/demarrage", "--today", "25/11/2026"])
            .stdin(input)
            .code(0);
        for command in ["pourquoi", "aide", "retour", "recommencer", "personne", "transmettre"] {
            assert!(
                !stdout.contains(&format!("Votre question : « {command} »")),
                "{state}: « {command} » sent on as a question\n{stdout}"
            );
        }
        assert!(stdout.trim_end().ends_with("Au revoir.") || state == "mid_topic");
        insta::assert_snapshot!(format!("chat_commands_{state}"), stdout);
    }
}

/// Regression (trial of 29/11/2026): after an answer, « 15 » (meant as a
/// number of days) opened the 15th topic of a list no longer on screen, and at
/// a short list of offered topics a number past it opened that topic of the
/// full list. A number is a topic only while the full list is shown.
#[test]
fn chat_a_number_is_a_topic_only_while_the_topic_list_is_shown() {
    let (stdout, _) = guichet(&["chat", "examples/demarrage", "--today", "25/11/2026"])
        .stdin("1\ntitulaire\n5\n1\n")
        .code(0);
    let after = stdout.split("> 1\n").last().unwrap_or_default();
    assert!(
        after.contains("Ce numéro ne correspond à aucune liste affichée"),
        "{stdout}"
    );
    let (stdout, _) = guichet(&["chat", "examples/demarrage", "--today", "25/11/2026"])
        .stdin("1\ntitulaire\n5\nrecommencer\n1\n")
        .code(0);
    assert!(
        !stdout.contains("Ce numéro ne correspond à aucune liste affichée"),
        "{stdout}"
    );
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

/// A labelled file written for the test, in the target folder.
fn labelled_file(name: &str, text: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-eval");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writable");
    path.to_string_lossy().into_owned()
}

#[test]
fn eval_routing_reports_by_register_and_never_prints_held_out_questions() {
    let file = labelled_file(
        "registers.tsv",
        "split\ttopic\tregister\tquestion\n\
         T\trtt\tsms\tcb de rtt\n\
         T\tmutuelle\tformal\trecette de la tarte aux pommes\n\
         T\tnone\tcasual\tchèques vacances\n\
         H\tmutuelle\tcasual\tle secret de la tarte tatin de mamie\n\
         H\trtt\tsms\tcb de rtt par an\n",
    );
    let (stdout, _) = guichet(&["eval-routing", "rules/", &file]).code(1);
    for line in [
        "Jeu T : 3 questions (2 sur un sujet, 1 hors sujet) — sûres et justes 1/2 (50,0 %) ; atteignables en une étape 1/2 (50,0 %) ; sûres et fausses 0/2 (0,0 %) ; hors sujet orientés 0/1 (0,0 %) (proposés en choix : 0)",
        "Jeu T, SMS : 1 questions (1 sur un sujet, 0 hors sujet) — sûres et justes 1/1 (100,0 %)",
        "Jeu T, très courtes (≤ 3 mots) : 2 questions",
        "Jeu H : 2 questions (2 sur un sujet, 0 hors sujet) — sûres et justes 1/2 (50,0 %)",
        "attendu mutuelle — obtenu aucun sujet (0.00) : recette de la tarte aux pommes",
        "Jeu H : 1 questions mal orientées, non affichées (jeu réservé).",
        "Objectifs non atteints hors jeu H",
    ] {
        assert!(stdout.contains(line), "missing « {line} » in:\n{stdout}");
    }
    assert!(
        !stdout.contains("tatin"),
        "a held-out question was printed:\n{stdout}"
    );
}

#[test]
fn eval_routing_refuses_a_malformed_labelled_file() {
    let file = labelled_file("bad.tsv", "T\trtt\tlouche\tcb de rtt\n");
    let (_, stderr) = guichet(&["eval-routing", "rules/", &file]).code(2);
    let stderr = stderr.replace(&file, "bad.tsv");
    insta::assert_snapshot!(stderr, @"erreur : bad.tsv : ligne 1 : registre inconnu « louche » (sms, casual, formal, long ou short)");
    let file = labelled_file("short.tsv", "T\tcb de rtt\n");
    let (_, stderr) = guichet(&["eval-routing", "rules/", &file]).code(2);
    let stderr = stderr.replace(&file, "short.tsv");
    insta::assert_snapshot!(stderr, @"erreur : short.tsv : ligne 1 : trois colonnes (jeu, sujet, question) ou quatre (jeu, sujet, registre, question) attendues");
}

#[test]
fn examples_export_without_a_database_exits_2() {
    let (stdout, stderr) = guichet(&["examples", "export", "--db", "nulle/part.db"]).code(2);
    assert!(stdout.is_empty());
    insta::assert_snapshot!(stderr, @"erreur : nulle/part.db : base introuvable");
}

#[test]
fn test_command_runs_one_test_file_against_the_rules_near_it() {
    let (stdout, _) =
        guichet(&["test", "rules/tests/conges.gtest", "--today", "25/11/2026"]).code(0);
    assert!(stdout
        .lines()
        .all(|l| !l.starts_with("ok") || l.contains("rules/tests/conges.gtest")));
    assert!(stdout.ends_with(" passed, 0 failed\n"), "{stdout}");
    assert!(!stdout.contains("Couverture"), "{stdout}");
    let (stdout, _) = guichet(&[
        "test",
        "examples/demarrage/conges.gtest",
        "--rules",
        "examples/demarrage/conges.guichet",
        "--today",
        "25/11/2026",
    ])
    .code(0);
    assert!(stdout.ends_with("3 passed, 0 failed\n"), "{stdout}");
}

#[test]
fn test_command_says_when_no_rules_are_near_a_test_file() {
    let dir = std::env::temp_dir().join(format!("guichet-cli-alone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("seul.gtest");
    std::fs::write(&file, "test \"t\" { sujet s attend transfert drh }\n").expect("write test");
    let (_, stderr) = guichet(&["test", file.to_str().expect("utf-8 path")]).code(2);
    std::fs::remove_dir_all(&dir).ok();
    let stderr = stderr.replace(dir.to_str().expect("utf-8 path"), "TMP");
    insta::assert_snapshot!(stderr);
}

/// « transmettre » after a hand-off prints what `guichet serve` would send (issue 13); before
/// one, it says what it is for; nothing is sent.
#[test]
fn chat_transmettre_prints_what_would_be_sent() {
    let (stdout, _) = guichet(&[
        "chat",
        "rules",
        "--topic",
        "gestionnaire_carriere",
        "--profile",
        "categorie=a",
        "--today",
        "25/11/2026",
    ])
    .stdin("transmettre merci de me rappeler le matin\n")
    .code(0);
    insta::assert_snapshot!(stdout);
    let (stdout, _) = guichet(&[
        "chat",
        "rules",
        "--topic",
        "gestionnaire_carriere",
        "--json",
        "--today",
        "25/11/2026",
    ])
    .stdin("transmettre\nb\ntechnique\ntransmettre à bientôt\n")
    .code(0);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(lines[1]["code"], "not_handed_off", "{stdout}");
    let request = lines.last().expect("a last line");
    assert_eq!(request["type"], "request", "{stdout}");
    assert_eq!(request["sent"], false);
    assert_eq!(request["contact"], "gestionnaire");
    assert_eq!(request["message"], "à bientôt");
    assert_eq!(
        request["notify"], "carrieres3@ville-exemple.fr",
        "the arm resolved"
    );
}
