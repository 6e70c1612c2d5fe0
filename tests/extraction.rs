//! Fact extraction on the bundled rules (issue 11 §1): no fact is ever taken
//! that the question does not state about the agent.
//!
//! `tests/routing/extraction.tsv` (written blind by someone who never saw
//! the `states` phrases) gives, for each question, the exact set of facts it
//! states: precision must be 100 % on every row, T and H alike; recall is
//! printed (`cargo test --test extraction -- --nocapture`). The table tests
//! below cover each pattern of the issue, through one helper.

use guichet::compile::program::Program;
use guichet::front::load::{load, RULE_EXTENSION};
use guichet::route::Extractor;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

fn program() -> &'static Program {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let sources = load(&[root.join("rules")], RULE_EXTENSION).expect("rules/ is readable");
        guichet::compile::compile(sources)
            .program
            .expect("the bundled rules compile")
    })
}

fn extractor() -> &'static Extractor {
    static EXTRACTOR: OnceLock<Extractor> = OnceLock::new();
    EXTRACTOR.get_or_init(|| Extractor::new(program()))
}

/// The facts `question` states, among all the facts of the rules, as `fact=value`.
fn facts(question: &str) -> BTreeSet<String> {
    extractor()
        .extract(question, |_| true)
        .iter()
        .map(|e| {
            format!(
                "{}={}",
                program().fact(e.fact).name,
                e.value_name(program())
            )
        })
        .collect()
}

/// Table test: each question gives exactly these facts.
fn check(cases: &[(&str, &[&str])]) {
    let mut failures = Vec::new();
    for (question, expected) in cases {
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        let got = facts(question);
        if got != expected {
            failures.push(format!("« {question} »: {got:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[derive(Default)]
struct Tally {
    rows: usize,
    expected: usize,
    taken: usize,
    right: usize,
    wrong_rows: Vec<String>,
}

/// The rows of a labelled table (`split`, `question`, `facts`), tallied by split: T rows
/// first, then H rows. A wrong H row is counted by its line number, never shown.
fn tally(file: &str) -> [Tally; 2] {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tsv = std::fs::read_to_string(root.join(file)).expect("readable");
    let mut tallies = [Tally::default(), Tally::default()];
    for (n, line) in tsv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [split, question, labelled] = cols[..] else {
            panic!(
                "{file}, line {}: three tab-separated columns expected",
                n + 1
            );
        };
        let expected: BTreeSet<String> = match labelled.trim() {
            "-" => BTreeSet::new(),
            set => set.split(';').map(|f| f.trim().to_string()).collect(),
        };
        for fact in &expected {
            let name = fact.split('=').next().unwrap_or_default();
            assert!(
                program().fact_named(name).is_some(),
                "{file}, line {}: unknown fact {name}",
                n + 1
            );
        }
        let got = facts(question);
        let tally = &mut tallies[usize::from(split == "H")];
        tally.rows += 1;
        tally.expected += expected.len();
        tally.taken += got.len();
        tally.right += got.intersection(&expected).count();
        if split == "T" && !expected.is_subset(&got) {
            let missed: Vec<&String> = expected.difference(&got).collect();
            println!("T, ligne {} : non pris {missed:?} — « {question} »", n + 1);
        }
        if !got.is_subset(&expected) {
            // Held-out rows are counted, never shown: nobody tunes to them.
            tally.wrong_rows.push(if split == "H" {
                format!("{file}, line {} (held out)", n + 1)
            } else {
                format!("{file}, line {}: « {question} » gave {got:?}", n + 1)
            });
        }
    }
    tallies
}

/// Both tables: `extraction.tsv` (T and H rows) and `extraction_blind.tsv` (all H, written
/// later by another writer from the list of facts and their values alone).
#[test]
fn the_labelled_tables_are_extracted_with_full_precision() {
    let mut rows = 0;
    let mut wrong = Vec::new();
    for file in [
        "tests/routing/extraction.tsv",
        "tests/routing/extraction_blind.tsv",
    ] {
        let tallies = tally(file);
        for (name, t) in ["Réglage (T)", "Réservées (H)"].iter().zip(&tallies) {
            if t.rows == 0 {
                continue;
            }
            println!(
                "{file}, {name} : {} questions, {} faits attendus, {} pris, {} justes ; précision {}/{}, rappel {}/{} ({:.0} %), lignes fautives {}",
                t.rows,
                t.expected,
                t.taken,
                t.right,
                t.right,
                t.taken,
                t.right,
                t.expected,
                100.0 * t.right as f64 / t.expected.max(1) as f64,
                t.wrong_rows.len()
            );
            rows += t.rows;
            wrong.extend(t.wrong_rows.iter().cloned());
        }
    }
    assert!(rows >= 80, "{rows} rows");
    assert!(
        wrong.is_empty(),
        "facts taken that the question does not state:\n{wrong:#?}"
    );
}

#[test]
fn numbers_that_are_times_ranks_or_counts_of_something_else_are_not_values() {
    check(&[
        // seniority
        ("je suis à 80 % depuis 2 ans", &["quotite=80"]),
        (
            "j'ai 2 enfants à charge depuis 2 ans",
            &["enfants_a_charge=2"],
        ),
        ("depuis 2 ans je travaille à la mairie", &[]),
        ("il y a 2 jours je suis tombée", &[]),
        ("en 2025 j'ai eu un bébé", &[]),
        // a rank is not a count
        ("j'attends mon 3e enfant", &[]),
        ("c'est mon 2ème enfant, j'ai droit à quoi ?", &[]),
        // « en deux fois »: a count of something else
        ("je voudrais payer en deux fois", &[]),
        ("je suis à 2 fois rien", &[]),
        // a number without its unit or keyword
        ("j'ai 30 jours", &[]),
        ("80 pour mon temps partiel", &[]),
        // the unit next to the number
        ("je travaille 4 jours par semaine", &["jours_par_semaine=4"]),
        (
            "je travaille quatre jours par semaine",
            &["jours_par_semaine=4"],
        ),
        (
            "je travaille 4,5 jours par semaine",
            &["jours_par_semaine=4.5"],
        ),
        ("j'ai 12 jours sur mon CET", &["jours_cet=12"]),
        // out of the fact's range
        ("je suis à 150 %", &[]),
        // days of something else
        ("je travaille 2 jours par semaine en télétravail", &[]),
    ]);
}

#[test]
fn what_is_said_of_another_person_is_not_the_agents() {
    check(&[
        ("ma collègue est contractuelle, et moi ?", &[]),
        (
            "mon mari est en CDD, je suis titulaire",
            &["statut=titulaire"],
        ),
        ("ma femme attend des jumeaux", &[]),
        ("mon collègue qui est en CDI m'a dit que", &[]),
        ("elle est à 80 %", &[]),
        // named after the phrase, in its clause
        ("je voudrais utiliser mon CPF pour mon fils", &[]),
        ("je prépare le concours de mon fils", &[]),
        (
            "je travaille aux espaces verts et ma femme à la cantine",
            &["direction=cadre_de_vie"],
        ),
    ]);
}

#[test]
fn a_word_inside_a_longer_word_or_term_states_nothing() {
    check(&[
        ("quand aura lieu ma titularisation ?", &[]),
        ("je suis titulaire du permis poids lourd", &[]),
        ("je suis titulaire d'un master", &[]),
        ("je suis titularisée depuis mars", &["statut=titulaire"]),
        ("je n'ai pas de diplôme de secouriste", &[]),
        ("je suis policier municipal à la retraite", &[]),
        ("j'ai un CDI dans le privé, puis-je être vacataire ?", &[]),
    ]);
}

#[test]
fn grade_and_generic_words_state_nothing() {
    check(&[
        // a grade word is neither a category nor a direction
        ("je suis adjoint technique, combien de RTT ?", &[]),
        ("je suis ATSEM, combien de congés ?", &[]),
        // generic words are not options
        ("je voudrais faire une formation en ligne", &[]),
        ("je pense à une reconversion", &[]),
        ("je suis en arrêt maladie", &[]),
    ]);
}

#[test]
fn negations_hypotheses_and_wishes_state_nothing() {
    check(&[
        ("je ne suis pas titulaire", &[]),
        ("je suis pas titulaire", &[]),
        ("je ne suis plus contractuelle", &[]),
        ("je suis titulaire ou pas ?", &[]),
        ("je suis non titulaire", &["statut=contractuel"]),
        ("si je suis à 80 %, combien de RTT ?", &[]),
        ("est-ce que je suis titulaire ?", &[]),
        ("je voudrais être à 80 %", &["quotite_souhaitee=80"]),
        ("je voudrais être à temps plein", &[]),
        ("je ne suis plus à mi-temps", &[]),
        ("est-ce que je peux passer à 80 % ?", &[]),
        ("titulaire ou contractuel, combien de congés ?", &[]),
        ("je suis titulaire ou contractuelle je sais plus", &[]),
        // the clause of the negation only
        (
            "je n'ai pas d'enfant, je suis contractuelle",
            &["statut=contractuel"],
        ),
        ("pour un agent à 80 %, combien de congés ?", &[]),
        // beliefs, doubts, and a statement asked back
        ("je pense que je suis contractuel", &[]),
        ("je crois que je suis en CDD", &[]),
        ("je suis en CDD ? ou en CDI ?", &[]),
        ("je suis titulaire ?", &[]),
        (
            "je suis titulaire, j'ai droit à combien ?",
            &["statut=titulaire"],
        ),
    ]);
}

#[test]
fn where_the_agent_goes_and_what_they_did_are_not_their_situation() {
    check(&[
        // a place one visits is not a workplace
        ("je suis à la piscine avec mes enfants le mercredi", &[]),
        ("je suis au garage pour ma voiture, je serai en retard", &[]),
        (
            "je travaille à la médiathèque depuis 2019",
            &["direction=culture"],
        ),
        // days of training are not the working week
        ("je suis sur 3 jours de formation", &[]),
        // what was taken is not what is asked for
        ("j'ai pris 20 jours de congés d'affilée l'an dernier", &[]),
        // a part-timer's hours are not the full-time cycle
        ("je fais 35 heures par semaine", &[]),
        ("mon cycle est de 37 heures", &["heures_hebdo=37"]),
    ]);
}

#[test]
fn explicit_statements_are_taken() {
    check(&[
        (
            "je suis contractuelle, combien de congés ?",
            &["statut=contractuel"],
        ),
        ("Je suis en CDD à la Ville", &["statut=contractuel"]),
        ("JE SUIS EN CATÉGORIE B", &["categorie=b"]),
        ("bonjour, jsuis vacataire", &["statut=vacataire"]),
        (
            "je suis contractuel et je suis à 80 %",
            &["statut=contractuel", "quotite=80"],
        ),
        ("j'attends des jumeaux", &["naissance_multiple=jumeaux"]),
        // a number fact's phrase with its value written before it
        ("je suis à temps plein, combien de RTT ?", &["quotite=100"]),
        ("je suis en 4/5, combien de RTT ?", &["quotite=80"]),
        // a phrase ending with a number takes it only at the end of a clause
        ("je suis en 4/5 depuis 2 ans", &[]),
        (
            "j'ai eu un accident de trajet hier",
            &["type_accident=trajet"],
        ),
    ]);
}

#[test]
fn the_french_keyword_enonce_is_states() {
    let source = r#"
fact statut: choice "Quel est votre statut ?" {
  titulaire   "Fonctionnaire titulaire" énonce "je suis titulaire"
  contractuel "Agent contractuel"       enonce "je suis contractuel"
}
fact enceinte: yesno "Êtes-vous enceinte ?" énonce oui "je suis enceinte" non "je ne suis pas enceinte"
fact jours: integer "Combien de jours ?" range 1..6 énonce "je travaille {} jours par semaine"
fallback drh "DRH"
contact drh "la DRH" { email "drh@ville.fr" }
topic t "T" {
  triggers "t"
  match statut {
    titulaire => if enceinte { answer "{jours}" source "s" } else { answer "b" source "s" }
    contractuel => answer "c" source "s"
  }
}
"#;
    let mut sources = guichet::span::Sources::new();
    sources.add("fr.guichet", source);
    let compiled = guichet::compile::compile(sources);
    let program = compiled.program.expect("compiles with the French keyword");
    let extractor = Extractor::new(&program);
    let got: Vec<String> = extractor
        .extract(
            "je suis titulaire, je ne suis pas enceinte et je travaille 3 jours par semaine",
            |_| true,
        )
        .iter()
        .map(|e| format!("{}={}", program.fact(e.fact).name, e.value_name(&program)))
        .collect();
    assert_eq!(got, ["statut=titulaire", "enceinte=non", "jours=3"]);
}
