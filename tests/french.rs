//! French keywords are full equivalents of the English ones: a program
//! written with every French keyword (accents optional) compiles to the same
//! program as its English twin, and French conversation tests run.

mod common;

use common::shape::shape;
use guichet::compile::compile;
use guichet::front::testing;
use guichet::span::Sources;
use time::macros::date;

const ENGLISH: &str = r#"
fact statut: choice "Quel est votre statut ?" {
  titulaire "Titulaire" also "fonctionnaire"
  contractuel "Contractuel"
}
  help "Voir votre arrêté." from profile
fact jours: integer "Combien de jours ?" range 1..6 unit "jours"
fact taux: number "Quel taux ?" range 0..100
fact entree: date "Date d'entrée ?"
fact enfant: yesno "Avez-vous un enfant ?"
fact motif: text "Pourquoi ?"
contact drh "la DRH" { name "DRH" phone "01" email "a@b.fr" hours "9-17" office "B1" web "https://x.fr" }
contact gest "le gestionnaire" by statut { titulaire => "Pôle A", contractuel => { name "Pôle B" } }
fallback drh "Je transmets."
topic t "Titre" {
  triggers "congés", "vacances"
  synonyms "repos"
  match statut {
    titulaire => {
      let d = 5 * jours
      if d > 20 and not enfant or taux in {1, 2} {
        answer "Droit : {d}." source "Décret"
      } else if years(entree, today) >= 2 {
        handoff gest "Voir."
      } else {
        goto u
      }
    }
    contractuel => answer "Non {motif}." source "Code"
  }
}
topic u "Autre" {
  triggers "autre"
  if enfant == non { answer "Non." source "Loi" } else { handoff drh }
}
"#;

const FRENCH: &str = r#"
fait statut: choix "Quel est votre statut ?" {
  titulaire "Titulaire" aussi "fonctionnaire"
  contractuel "Contractuel"
}
  aide "Voir votre arrêté." du profil
fait jours: entier "Combien de jours ?" intervalle 1..6 unité "jours"
fait taux: nombre "Quel taux ?" intervalle 0..100
fait entree: date "Date d'entrée ?"
fait enfant: oui-non "Avez-vous un enfant ?"
fait motif: texte "Pourquoi ?"
contact drh "la DRH" { nom "DRH" téléphone "01" courriel "a@b.fr" horaires "9-17" bureau "B1" web "https://x.fr" }
contact gest "le gestionnaire" par statut { titulaire => "Pôle A", contractuel => { nom "Pôle B" } }
par défaut drh "Je transmets."
sujet t "Titre" {
  déclencheurs "congés", "vacances"
  synonymes "repos"
  selon statut {
    titulaire => {
      soit d = 5 * jours
      si d > 20 et non enfant ou taux dans {1, 2} {
        réponse "Droit : {d}." source "Décret"
      } sinon si years(entree, aujourd'hui) >= 2 {
        transfert gest "Voir."
      } sinon {
        aller u
      }
    }
    contractuel => reponse "Non {motif}." source "Code"
  }
}
sujet u "Autre" {
  declencheurs "autre"
  si enfant == non { réponse "Non." source "Loi" } sinon { transfert drh }
}
"#;

#[test]
fn a_french_program_compiles_to_the_same_program_as_its_english_twin() {
    assert_eq!(
        shape(&[("a.guichet", FRENCH)]),
        shape(&[("a.guichet", ENGLISH)])
    );
}

#[test]
fn accent_free_forms_are_the_same_keywords() {
    let accent_free = FRENCH
        .replace("unité", "unite")
        .replace("téléphone", "telephone")
        .replace("défaut", "defaut")
        .replace("réponse", "reponse")
        .replace("déclencheurs", "declencheurs")
        .replace("aujourd'hui", "aujourdhui");
    assert_eq!(
        shape(&[("a.guichet", &accent_free)]),
        shape(&[("a.guichet", ENGLISH)])
    );
}

#[test]
fn french_conversation_tests_run() {
    let mut rules = Sources::new();
    rules.add("a.guichet", FRENCH);
    let program = compile(rules).program.expect("compiles");
    let mut tests = Sources::new();
    tests.add(
        "a.gtest",
        r#"
test "Titulaire sur 5 jours" {
  sujet t
  aujourd'hui "01/03/2026"
  profil statut = "titulaire"
  répond "5"
  répond "non"
  demande jours, enfant
  attend réponse "Droit : 25."
}
test "Contractuel" {
  sujet t
  question "mes congés"
  repond "contractuel"
  repond "raisons"
  attend reponse "Non raisons."
}
test "Enfant" {
  sujet u
  répond "oui"
  attend transfert drh
}
"#,
    );
    let report = testing::run(&program, &tests, date!(2026 - 03 - 01));
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let failures: Vec<_> = report
        .results
        .iter()
        .filter_map(|r| r.failure.clone())
        .collect();
    assert_eq!(failures, Vec::<String>::new());
    assert_eq!(report.passed(), 3);
}

#[test]
fn text_helpers_write_amounts_and_plurals_in_answers() {
    let mut rules = Sources::new();
    rules.add(
        "a.guichet",
        r#"
fait jours: entier "Combien de jours ?" intervalle 0..30
sujet t "T" {
  déclencheurs "t"
  réponse "{pluriel(jours, "jour", "jours")} indemnisés : {euros(jours * 16.8)} ({plural(jours * 7, "heure", "heures")}, {money(1607)})." source "s"
}
"#,
    );
    let program = compile(rules).program.expect("compiles");
    let mut tests = Sources::new();
    tests.add(
        "a.gtest",
        r#"
test "un jour" { sujet t répond "1" attend réponse "1 jour indemnisés : 16,80 € (7 heures, 1 607,00 €)." }
test "six jours" { sujet t répond "6" attend réponse "6 jours indemnisés : 100,80 € (42 heures" }
test "aucun" { sujet t répond "0" attend réponse "0 jour indemnisés : 0,00 €" }
"#,
    );
    let report = testing::run(&program, &tests, date!(2026 - 03 - 01));
    let failures: Vec<_> = report
        .results
        .iter()
        .filter_map(|r| r.failure.clone())
        .collect();
    assert_eq!(failures, Vec::<String>::new());
    assert_eq!(report.passed(), 3);
}

#[test]
fn text_helpers_check_their_arguments() {
    let mut rules = Sources::new();
    rules.add(
        "a.guichet",
        r#"sujet t "T" { déclencheurs "t" réponse "{euros("cent")} {pluriel(2, "jour")}" source "s" }"#,
    );
    let compiled = compile(rules);
    let codes: Vec<_> = compiled.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E301", "E303"]);
}
