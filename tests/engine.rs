//! The engine through its public API: reply parsing for every kind of fact,
//! every re-ask, the commands (back, restart, person), persistence and
//! version pinning. Table tests go through one helper each (`reply`, `refused`).

use guichet::compile::compile;
use guichet::compile::program::Program;
use guichet::engine::session::{State, Step};
use guichet::engine::{Provenance, Session, SessionError};
use guichet::span::Sources;
use time::macros::date;

const RULES: &str = r#"
fact statut: choice "Quel est votre statut ?" {
  titulaire   "Fonctionnaire titulaire ou stagiaire" also "fonctionnaire", "stagiaire"
  contractuel "Agent contractuel de droit public"    also "CDD", "CDI", "non titulaire"
  vacataire   "Vacataire"
}
fact temps_partiel: yesno "Travaillez-vous à temps partiel ?"
fact jours: integer "Combien de jours par semaine ?" range 1..6 unit "jours"
fact heures: number "Combien d'heures par semaine ?" range 0..48 unit "heures"
fact entree: date "Depuis quand êtes-vous dans la collectivité ?"
fact precision: text "Précisez votre question."
contact drh "la DRH" { phone "02 00 00 00 00" }
fallback drh "Je transmets à la DRH."

topic t "Tout" {
  triggers "tout"
  match statut {
    vacataire => handoff drh "Vacataire : {precision}"
    titulaire | contractuel => {
      if temps_partiel and heures < 20 {
        answer "Peu d'heures." source "s"
      } else {
        let anciennete = years(entree, today)
        answer "{jours} jours, {heures} heures, {anciennete} ans, statut {statut}." source "s"
      }
    }
  }
}
"#;

fn program() -> Program {
    let mut sources = Sources::new();
    sources.add("tout.guichet", RULES);
    let compiled = compile(sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    compiled.program.expect("compiles")
}

fn session(program: &Program) -> Session {
    Session::new(
        program,
        program.topic_named("t").expect("topic t"),
        date!(2026 - 11 - 25),
    )
}

/// A session asking `fact` (the earlier facts pre-filled so it is reached).
fn asking(program: &Program, fact: &str) -> Session {
    let mut s = session(program);
    let before: &[(&str, &str)] = match fact {
        "statut" => &[],
        "temps_partiel" => &[("statut", "titulaire")],
        "heures" => &[("statut", "titulaire"), ("temps_partiel", "oui")],
        "entree" => &[("statut", "titulaire"), ("temps_partiel", "non")],
        "jours" => &[
            ("statut", "titulaire"),
            ("temps_partiel", "non"),
            ("entree", "01/01/2020"),
        ],
        _ => &[("statut", "vacataire")],
    };
    for (f, v) in before {
        s.prefill(program, f, v, Provenance::Profile)
            .expect("valid prefill");
    }
    match s.step(program).expect("same program") {
        Step::Ask(q) => assert_eq!(q.fact, fact),
        other => panic!("expected a question on {fact}, got {other:?}"),
    }
    s
}

/// The code of the value that `input` gives to `fact`.
fn reply(fact: &str, input: &str) -> String {
    let program = program();
    let mut s = asking(&program, fact);
    s.reply(&program, input)
        .unwrap_or_else(|e| panic!("{fact} ← {input:?} refused: {}", e.message()));
    let id = program.fact_named(fact).expect("fact");
    let value = s.value_of(id).expect("known after a reply");
    guichet::engine::value::code(value, program.fact(id))
}

/// The re-ask message for a refused reply; the session must be unchanged.
fn refused(fact: &str, input: &str) -> String {
    let program = program();
    let mut s = asking(&program, fact);
    let before = serde_json::to_string(&s).expect("serialisable");
    let error = s.reply(&program, input).expect_err("must be refused");
    assert_eq!(
        serde_json::to_string(&s).expect("serialisable"),
        before,
        "a refused reply changed the session"
    );
    error.message()
}

#[test]
fn choice_replies_by_number_name_label_also_and_words() {
    for (input, expected) in [
        ("1", "titulaire"),
        ("2.", "contractuel"),
        ("Contractuel", "contractuel"),
        ("CONTRACTUELLE", "contractuel"),
        ("fonctionnaire", "titulaire"),
        ("je suis stagiaire", "titulaire"),
        ("je suis non titulaire", "contractuel"),
        ("en CDD", "contractuel"),
        ("vacatère", "vacataire"),
        ("Agent contractuel de droit public", "contractuel"),
    ] {
        assert_eq!(reply("statut", input), expected, "input {input:?}");
    }
}

#[test]
fn yes_no_replies_and_their_variants() {
    for (input, expected) in [
        ("oui", "oui"),
        ("Oui !", "oui"),
        ("o", "oui"),
        ("ouais", "oui"),
        ("bien sûr", "oui"),
        ("non", "non"),
        ("N", "non"),
        ("pas du tout", "non"),
        ("non merci", "non"),
    ] {
        assert_eq!(reply("temps_partiel", input), expected, "input {input:?}");
    }
}

/// Regression (trial of 29/11/2026): « 1 » to « Adoptez-vous plusieurs
/// enfants ? » meant one child, and was read as « oui ». No front end shows
/// yes/no numbered, so a number is asked again.
#[test]
fn a_number_is_not_a_yes_or_no() {
    for input in ["1", "2"] {
        assert!(
            refused("temps_partiel", input).contains("oui ou par non"),
            "input {input:?}"
        );
    }
}

/// Regression (trial of 29/11/2026): a reply that negates an option, or names
/// it only by a word of a longer phrase, was taken as that option (« pas
/// titulaire » → titulaire, « non » → contractuel by « non titulaire »,
/// « agent » → contractuel by its label). It is asked again.
#[test]
fn a_negated_or_partial_choice_reply_is_asked_again() {
    for input in [
        "pas titulaire",
        "je ne suis pas titulaire",
        "non",
        "je sais pas",
        "agent",
    ] {
        let message = refused("statut", input);
        assert!(message.contains("numéro"), "input {input:?}: {message}");
    }
    assert_eq!(reply("statut", "contractuelle"), "contractuel");
}

#[test]
fn number_replies_with_decimal_comma_units_and_words() {
    assert_eq!(reply("heures", "17,5"), "17,5");
    assert_eq!(reply("heures", "17.5 heures"), "17,5");
    assert_eq!(reply("heures", "0"), "0");
    assert_eq!(reply("jours", "5 jours"), "5");
    assert_eq!(reply("jours", "cinq"), "5");
}

#[test]
fn date_replies_numeric_and_in_words() {
    assert_eq!(reply("entree", "12/03/2024"), "12/03/2024");
    assert_eq!(reply("entree", "12-03-2024"), "12/03/2024");
    assert_eq!(reply("entree", "12 mars 2024"), "12/03/2024");
    assert_eq!(reply("entree", "1er septembre 2021"), "01/09/2021");
    assert_eq!(reply("entree", "29 février 2024"), "29/02/2024");
}

#[test]
fn every_re_ask_is_polite_and_leaves_the_session_unchanged() {
    let messages: Vec<String> = [
        ("statut", "   "),
        ("statut", "bof"),
        ("statut", "7"),
        ("temps_partiel", "peut-être"),
        ("jours", "abc"),
        ("jours", "4,5"),
        ("jours", "9"),
        ("heures", "-3"),
        ("entree", "hier"),
        ("entree", "30/02/2024"),
        ("precision", &"x".repeat(3000)),
    ]
    .iter()
    .map(|(fact, input)| {
        format!(
            "{fact} ← {}: {}",
            input.chars().take(12).collect::<String>(),
            refused(fact, input)
        )
    })
    .collect();
    insta::assert_snapshot!(messages.join("\n"));
}

#[test]
fn ambiguous_choice_reply_names_the_candidates() {
    let mut sources = Sources::new();
    sources.add(
        "a.guichet",
        "fact c: choice \"Q ?\" { a \"Congé de maladie ordinaire\" b \"Congé de longue maladie\" }\ntopic t \"T\" { triggers \"t\" match c { _ => answer \"x\" source \"s\" } }\n",
    );
    let program = compile(sources).program.expect("compiles");
    let mut s = Session::new(
        &program,
        program.topic_named("t").expect("t"),
        date!(2026 - 01 - 01),
    );
    s.step(&program).expect("asks");
    let error = s.reply(&program, "maladie").expect_err("ambiguous");
    assert_eq!(error.code(), "ambiguous");
    assert!(
        error
            .message()
            .contains("1. Congé de maladie ordinaire, 2. Congé de longue maladie"),
        "{}",
        error.message()
    );
}

#[test]
fn lazy_and_asks_the_second_fact_only_when_needed() {
    let program = program();
    let mut s = asking(&program, "temps_partiel");
    s.reply(&program, "non").expect("valid");
    match s.step(&program).expect("steps") {
        Step::Ask(q) => assert_eq!(
            q.fact, "entree",
            "heures must not be asked when temps_partiel is non"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn answer_interpolates_numbers_dates_and_choice_labels() {
    let program = program();
    let mut s = asking(&program, "jours");
    s.reply(&program, "4").expect("valid");
    let Step::Ask(q) = s.step(&program).expect("steps") else {
        panic!("heures expected")
    };
    assert_eq!(q.fact, "heures");
    s.reply(&program, "28,5").expect("valid");
    let Step::Answer(a) = s.step(&program).expect("steps") else {
        panic!("answer expected")
    };
    assert_eq!(
        a.text,
        "4 jours, 28,5 heures, 6 ans, statut Fonctionnaire titulaire ou stagiaire."
    );
    assert_eq!(a.sources, ["s"]);
}

#[test]
fn back_restart_and_person() {
    let program = program();
    let mut s = session(&program);
    assert_eq!(s.back(&program), Err(SessionError::NothingToUndo));
    s.step(&program).expect("asks statut");
    s.reply(&program, "vacataire").expect("valid");
    let Step::Ask(q) = s.step(&program).expect("steps") else {
        panic!()
    };
    assert_eq!(q.fact, "precision");
    s.back(&program).expect("one reply to take back");
    let Step::Ask(q) = s.step(&program).expect("steps") else {
        panic!()
    };
    assert_eq!(q.fact, "statut");
    s.reply(&program, "vacataire").expect("valid");
    assert!(matches!(s.step(&program), Ok(Step::Ask(q)) if q.fact == "precision"));
    s.reply(&program, "Je voudrais savoir mes droits")
        .expect("free text");
    let Step::Handoff(h) = s.step(&program).expect("steps") else {
        panic!()
    };
    assert_eq!(
        h.message.as_deref(),
        Some("Vacataire : Je voudrais savoir mes droits")
    );
    assert_eq!(s.reply(&program, "encore"), Err(SessionError::NotAsking));
    s.restart(&program).expect("restart");
    assert!(matches!(s.step(&program), Ok(Step::Ask(q)) if q.fact == "statut"));
    s.ask_for_person(&program).expect("a fallback exists");
    let Step::Handoff(h) = s.step(&program).expect("steps") else {
        panic!()
    };
    assert_eq!(h.contact.id, "drh");
    // Asked for, the hand-off says so (the fallback's message is for when no answer was found).
    assert_eq!(
        h.message.as_deref(),
        Some("Vous avez demandé à parler à une personne : voici ses coordonnées. Elle saura ce que vous m'avez déjà dit.")
    );
    assert!(s
        .explain(&program)
        .rule
        .starts_with("vous avez demandé à parler à une personne"));
}

#[test]
fn a_session_survives_serialisation_mid_conversation() {
    let program = program();
    let mut s = asking(&program, "jours");
    let stored = serde_json::to_string(&s).expect("serialisable");
    assert!(
        stored.len() < 2048,
        "a stored session is {} bytes",
        stored.len()
    );
    let mut resumed: Session = serde_json::from_str(&stored).expect("deserialisable");
    assert_eq!(resumed, s);
    s.reply(&program, "5").expect("valid");
    resumed.reply(&program, "5").expect("valid");
    assert_eq!(resumed.step(&program), s.step(&program));
    assert!(matches!(resumed.state(), State::Asking { .. }));
}

#[test]
fn a_session_stays_pinned_to_its_program_version() {
    let program = program();
    let mut s = session(&program);
    let mut other_sources = Sources::new();
    other_sources.add(
        "tout.guichet",
        RULES.replace("Peu d'heures.", "Peu d'heures !"),
    );
    let other = compile(other_sources).program.expect("compiles");
    assert_ne!(other.version, program.version);
    assert!(matches!(
        s.step(&other),
        Err(SessionError::WrongProgram { .. })
    ));
    assert!(s.step(&program).is_ok());
}

/// « pourquoi » for agents: their answers as questions and labels, the rule in words, the
/// sources; never a fact name, a branch value or a rule location.
#[test]
fn the_plain_explanation_reads_as_the_agent_answered() {
    let program = program();
    let mut s = session(&program);
    let asking = s.explain(&program);
    assert!(asking.facts.is_empty());
    assert_eq!(
        asking.text(),
        "Vous ne m'avez encore rien indiqué.\nLa règle qui s'applique : elle dépend encore de votre réponse à la question posée (sujet « Tout »)."
    );
    for reply in ["titulaire", "oui", "10"] {
        s.step(&program).expect("steps");
        s.reply(&program, reply).expect("valid");
    }
    assert!(matches!(s.step(&program), Ok(Step::Answer(_))));
    assert_eq!(
        s.explain(&program).text(),
        "Vous avez indiqué : Quel est votre statut ? Fonctionnaire titulaire ou stagiaire ; \
         Travaillez-vous à temps partiel ? oui ; Combien d'heures par semaine ? 10 heures.\n\
         La règle qui s'applique : pour votre situation, le sujet « Tout » prévoit la réponse donnée.\n\
         Source : s."
    );
}

#[test]
fn correct_forgets_assumed_facts_only_and_replays_the_walk() {
    let program = program();
    let mut s = session(&program);
    assert_eq!(s.correct(&program), Err(SessionError::NothingToCorrect));
    s.prefill(&program, "statut", "contractuel", Provenance::Extracted)
        .expect("a value");
    s.prefill(&program, "temps_partiel", "non", Provenance::Profile)
        .expect("a value");
    assert!(matches!(s.step(&program), Ok(Step::Ask(q)) if q.fact == "entree"));
    let assumed = s.assumed(&program);
    assert_eq!(assumed.len(), 1);
    assert_eq!(assumed[0].fact, "statut");
    assert_eq!(assumed[0].provenance, Provenance::Extracted);
    s.reply(&program, "01/01/2020").expect("a date");
    s.correct(&program).expect("statut was extracted");
    // The extracted fact is asked; the profile stays; the walk starts over.
    assert!(matches!(s.step(&program), Ok(Step::Ask(q)) if q.fact == "statut"));
    assert!(s.assumed(&program).is_empty());
    assert!(s.known().any(|(_, k)| k.provenance == Provenance::Profile));
    assert_eq!(s.correct(&program), Err(SessionError::NothingToCorrect));
}

#[test]
fn a_new_topic_carries_over_what_the_earlier_one_knows_except_the_profile() {
    let program = program();
    let mut earlier = session(&program);
    earlier
        .prefill(&program, "temps_partiel", "non", Provenance::Profile)
        .expect("a value");
    earlier.step(&program).expect("asks statut");
    earlier.reply(&program, "titulaire").expect("valid");
    let facts: Vec<_> = ["statut", "temps_partiel", "jours"]
        .iter()
        .filter_map(|f| program.fact_named(f))
        .collect();
    let mut next = session(&program);
    next.prefill(&program, "jours", "4", Provenance::Extracted)
        .expect("a value");
    next.carry_over(&program, &earlier, &facts)
        .expect("same rules");
    let assumed = next.assumed(&program);
    let origin: Vec<(&str, Provenance)> = assumed
        .iter()
        .map(|g| (g.fact.as_str(), g.provenance))
        .collect();
    // statut carried; temps_partiel is the profile's (given again by the
    // profile, not carried); jours stays what the new question stated.
    assert_eq!(
        origin,
        [
            ("statut", Provenance::Earlier),
            ("jours", Provenance::Extracted)
        ]
    );
    // A fact the new topic may not ask is not carried.
    let mut other = session(&program);
    other
        .carry_over(&program, &earlier, &[])
        .expect("same rules");
    assert!(other.assumed(&program).is_empty());
}

/// A long refused reply is quoted by its start only, not echoed in full.
#[test]
fn a_long_refused_reply_is_quoted_by_its_start() {
    let long = format!("douze {}", "et encore ".repeat(40));
    let message = refused("jours", &long);
    insta::assert_snapshot!(message, @"Je n'ai pas compris « douze et encore et encore et encore et encore et encore et… » : répondez par un nombre (en jours), par exemple 2.");
}
