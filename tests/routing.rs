//! Free-text routing on the bundled rules: the targets of issue 11 on the
//! tuning part of `tests/routing/*.tsv`, and table tests of normalisation,
//! decisions and fact extraction.

use guichet::compile::program::Program;
use guichet::front::ask::{figures_line, HELD_OUT, TARGETS};
use guichet::front::load::{load, RULE_EXTENSION};
use guichet::route::{parse_labelled, Decision, Figures, Router};
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

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| Router::new(program()))
}

/// The labelled files: the original questions and the agents' questions.
const LABELLED: &[&str] = &["tests/routing/questions.tsv", "tests/routing/agents.tsv"];

#[test]
fn the_tuning_part_holds_its_level() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut tuning = Figures::default();
    let mut held_out = Figures::default();
    for file in LABELLED {
        let tsv = std::fs::read_to_string(root.join(file)).expect("readable");
        let labelled = parse_labelled(program(), &tsv).expect("well-formed");
        assert!(
            labelled.skipped.is_empty(),
            "{file}: topics missing {:?}",
            labelled.skipped
        );
        for q in &labelled.questions {
            let routing = router().route(&q.question);
            if q.split == HELD_OUT {
                held_out.add(q.expected, &routing);
            } else {
                tuning.add(q.expected, &routing);
            }
        }
    }
    // Shown with `cargo test -- --nocapture`; held-out figures are counted, never enforced.
    println!("{}", figures_line("Réglage", &tuning));
    println!("{}", figures_line("Réservées", &held_out));
    assert!(tuning.questions >= 250, "{} questions", tuning.questions);
    assert!(
        held_out.questions * 4 >= tuning.questions,
        "about a third held out"
    );
    // The tuning part does not meet every target of issue 11 yet (docs/routing.md): CI holds
    // it at today's level, so that no change makes routing worse; raise these when it improves.
    let line = figures_line("Réglage", &tuning);
    assert!(tuning.confident_right_rate() >= 0.80, "{line}");
    assert!(tuning.reachable_rate() >= 0.93, "{line}");
    assert!(
        tuning.confident_wrong_rate() <= TARGETS.confident_wrong,
        "{line}"
    );
    assert!(
        tuning.off_topic_routed_rate() <= TARGETS.off_topic_routed,
        "{line}"
    );
}

/// Folds of the cross-validation over the rules' examples.
const FOLDS: usize = 5;

/// How the router does on questions it has not learnt: the rules' examples
/// — each topic's, and the « hors sujet » notion's — are split into
/// [`FOLDS`] folds (the `j`-th example of each topic, and of off-topic ones,
/// in fold `j % FOLDS`); each fold is taken out of the rules, the router
/// rebuilt without it, and its examples routed. Titles, triggers, synonyms
/// and the lexicon stay.
#[test]
fn the_examples_cross_validate() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sources = load(&[root.join("rules")], RULE_EXTENSION).expect("rules/ is readable");
    let mut program = guichet::compile::compile(sources)
        .program
        .expect("the bundled rules compile");
    let examples: Vec<Vec<String>> = program.topics.iter().map(|t| t.examples.clone()).collect();
    let off_topic = program.off_topic.clone();
    let in_fold = |texts: &[String], fold: usize| -> Vec<String> {
        texts
            .iter()
            .enumerate()
            .filter(|(j, _)| j % FOLDS == fold)
            .map(|(_, e)| e.clone())
            .collect()
    };
    let out_of_fold = |texts: &[String], fold: usize| -> Vec<String> {
        texts
            .iter()
            .enumerate()
            .filter(|(j, _)| j % FOLDS != fold)
            .map(|(_, e)| e.clone())
            .collect()
    };
    let mut all = Figures::default();
    let mut long = Figures::default();
    for fold in 0..FOLDS {
        for (topic, texts) in program.topics.iter_mut().zip(&examples) {
            topic.examples = out_of_fold(texts, fold);
        }
        program.off_topic = out_of_fold(&off_topic, fold);
        let router = Router::new(&program);
        let expected = examples
            .iter()
            .enumerate()
            .flat_map(|(t, texts)| {
                let topic = Some(guichet::compile::program::TopicId(t as u32));
                in_fold(texts, fold).into_iter().map(move |q| (topic, q))
            })
            .chain(in_fold(&off_topic, fold).into_iter().map(|q| (None, q)));
        for (expected, question) in expected {
            let routing = router.route(&question);
            all.add(expected, &routing);
            if question.split_whitespace().count() >= guichet::route::LONG_WORDS {
                long.add(expected, &routing);
            }
        }
    }
    println!("{}", figures_line("Validation croisée", &all));
    println!("{}", figures_line("Validation croisée, longues", &long));
    // Measured (docs/routing.md): on topic 531/915 started right (58.0 %), 739 reachable
    // (80.8 %), 25 started wrong (2.7 %); off topic 6/212 started (2.8 %). The examples are
    // written to be hard (stories, neighbours): CI holds this level.
    let line = figures_line("Validation croisée", &all);
    assert!(all.on_topic >= 600 && all.off_topic >= 150, "{line}");
    assert!(all.confident_right_rate() >= 0.56, "{line}");
    assert!(all.reachable_rate() >= 0.78, "{line}");
    assert!(all.confident_wrong_rate() <= 0.035, "{line}");
    assert!(all.off_topic_routed_rate() <= 0.045, "{line}");
}

/// The folded words of `question` after analysis, stop words left out.
fn content_words(question: &str) -> Vec<String> {
    router()
        .analyse(question)
        .into_iter()
        .filter(|t| !t.stop)
        .map(|t| t.word)
        .collect()
}

#[test]
fn normalisation_of_agents_french() {
    let cases: &[(&str, &[&str])] = &[
        // case, accents, elisions, stop words
        ("Je voudrais CONNAÎTRE l'échelon", &["connaitre", "echelon"]),
        ("qu'est-ce que j'ai droit aux congés", &["droit", "conges"]),
        // SMS abbreviations
        ("cb de jrs de cgs", &["jours", "conges"]),
        ("ttvl 2 jours", &["teletravail", "2", "jours"]),
        ("tp 80%", &["temps", "partiel", "80"]),
        // numbers split from their unit, number words as digits
        ("37h30", &["37", "heures", "30"]),
        ("deux mois", &["2", "mois"]),
        // typos corrected to the one rule word close enough
        ("résilier ma mutelle", &["resilier", "mutuelle"]),
        ("prevoyence", &["prevoyance"]),
        // ...but short or common words are left alone
        ("en cours", &["cours"]),
        // "CA" and "CET" are acronyms; "ça" and "cet été" are not
        ("comment ça marche", &["marche"]),
        ("jours de CA", &["jours", "ca"]),
        ("mon cet", &["cet"]),
        (
            "prendre mes jours épargnés cet été",
            &["prendre", "jours", "epargnes"],
        ),
        ("travailler de chez moi", &["travailler", "domicile"]),
    ];
    for (question, expected) in cases {
        assert_eq!(content_words(question), *expected, "« {question} »");
    }
}

#[test]
fn stemming_merges_gender_number_and_accents() {
    let stem = |w: &str| router().analyse(w)[0].stem.clone();
    assert_eq!(stem("contractuelle"), stem("contractuels"));
    assert_eq!(stem("congés"), stem("conge"));
    assert_eq!(stem("payé"), stem("paie"));
    // "d'avance" is not "avancement"
    assert_ne!(stem("avance"), stem("avancement"));
}

/// `expected`: `Some(topic)` confident, `None` handed off.
fn check_route(question: &str, expected: Option<&str>) {
    let routing = router().route(question);
    let got = match routing.decision {
        Decision::Confident { topic } => Some(program().topic(topic).name.as_str()),
        Decision::NoMatch { .. } => None,
        Decision::Ambiguous { ref topics } => panic!("« {question} » ambiguous: {topics:?}"),
    };
    assert_eq!(got, expected, "« {question} » ({:.2})", routing.score);
}

#[test]
fn clear_questions_are_routed_and_strangers_handed_off() {
    check_route("combien de RTT", Some("rtt"));
    check_route("cgs fractionnement ?", Some("jours_hors_saison"));
    check_route("qui est mon gestionnaire", Some("gestionnaire_carriere"));
    check_route("résilier ma mutuelle", Some("mutuelle"));
    check_route(
        "je voudrais poser des vacances en aout",
        Some("demande_conges"),
    );
    check_route("où se garer devant le musée avec un vélo cargo", None);
    check_route("chèques vacances", None);
    check_route("", None);
    check_route("!!!", None);
}

#[test]
fn words_of_a_topics_own_texts_are_not_strangers_to_it() {
    // « missions » and « ordinateur » are no synonyms of télétravail, but
    // a question it asks uses them (before, the question was handed off).
    check_route(
        "télétravail : mes missions sur ordinateur",
        Some("teletravail"),
    );
    // Words of texts are no evidence by themselves.
    check_route("ordinateur", None);
}

#[test]
fn a_question_between_topics_offers_a_choice() {
    let routing = router().route("droit a conges a temps partiel");
    let Decision::Ambiguous { topics } = &routing.decision else {
        panic!("{:?}", routing.decision);
    };
    let names: Vec<&str> = topics
        .iter()
        .map(|t| program().topic(*t).name.as_str())
        .collect();
    assert!(names.contains(&"conges_annuels") && names.contains(&"temps_partiel"));
    assert!((2..=3).contains(&names.len()));
    assert!(routing.extracted.is_empty());
}

#[test]
fn a_question_no_topic_matches_names_the_fallback() {
    let routing = router().route("recette de la tarte aux pommes");
    let Decision::NoMatch { fallback } = routing.decision else {
        panic!("{:?}", routing.decision);
    };
    assert_eq!(
        fallback.map(|c| program().contact(c).name.as_str()),
        Some("drh")
    );
    let handoff = guichet::route::no_match_handoff(program(), "recette ?", Vec::new())
        .expect("the rules have a fallback");
    assert_eq!(handoff.contact.id, "drh");
    assert!(handoff
        .message
        .is_some_and(|m| m.contains("Votre question : « recette ? »")));
}

/// The facts `question` states for `topic`, as `fact=value`.
fn extracted(question: &str, topic: &str) -> Vec<String> {
    let topic = program().topic_named(topic).expect("a bundled topic");
    router()
        .extract(question, topic)
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

/// Extraction itself is tested in `tests/extraction.rs`; here, that routing
/// takes only the facts the started topic may ask.
#[test]
fn routing_extracts_only_the_facts_of_the_topic_it_starts() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "je suis contractuelle, combien de congés ?",
            "conges_annuels",
            &["statut=contractuel"],
        ),
        // a reply word is not a statement
        ("combien de congés en CDD", "conges_annuels", &[]),
        // quotite_souhaitee is paie_temps_partiel's, not conges_annuels'
        (
            "je voudrais passer à 80 %, combien de congés ?",
            "conges_annuels",
            &[],
        ),
        (
            "je voudrais passer à 80 %, combien serai-je payé ?",
            "paie_temps_partiel",
            &["quotite_souhaitee=80"],
        ),
    ];
    for (question, topic, expected) in cases {
        assert_eq!(
            extracted(question, topic),
            *expected,
            "« {question} » ({topic})"
        );
    }
    let routing = router().route("je suis contractuelle, combien de congés ?");
    assert_eq!(routing.extracted.len(), 1);
}

#[test]
fn situations_and_agents_spellings_reach_their_topic() {
    // Situation words (data/route/lexicon.tsv), not HR words.
    check_route(
        "jme sui coupé au doigt avec le secateur",
        Some("accident_service"),
    );
    // Offered, not started: the policier municipal's context is also that of off-topic
    // examples (« suspendu après une plainte », « gilet pare-balles »).
    assert_eq!(
        offered_first("je suis policier municipal et j'ai glissé pendant une intervention, je me suis fait une entorse"),
        Some("accident_service"),
    );
    check_route("mon salaire a baissé ce mois ci", Some("fiche_paie"));
    // The classifier, trained on partners' stories too (« ma femme va
    // accoucher »), does not confirm maternité: both are offered.
    let routing = router().route("je vais accoucher en juin");
    let Decision::Ambiguous { topics } = &routing.decision else {
        panic!("{:?}", routing.decision);
    };
    assert_eq!(Some(topics[0]), program().topic_named("maternite"));
    check_route(
        "jai trop de jours je peux les mettre de cote ?",
        Some("cet"),
    );
    // SMS and phonetic spellings, elisions without apostrophe, 2j, 4/5, tt.
    check_route(
        "jai droit a cb de conger cette anne",
        Some("conges_annuels"),
    );
    check_route(
        "est ce ke je peu faire du tt 2j par semaine",
        Some("teletravail"),
    );
    check_route(
        "je voudrai passer a 4/5 pour mes enfants",
        Some("temps_partiel"),
    );
    check_route("ma mutuel rembourse pas les lunettes", Some("mutuelle"));
    check_route(
        "je suis en arret depuis 2 semaines ke dois je envoyer",
        Some("arret_maladie"),
    );
    // Neighbours: the pay at part time is not started as the part-time
    // request; both are offered.
    let routing = router().route("si je passe a 4/5 je serai payé combien");
    let Decision::Ambiguous { topics } = &routing.decision else {
        panic!("{:?}", routing.decision);
    };
    let names: Vec<&str> = topics
        .iter()
        .map(|t| program().topic(*t).name.as_str())
        .collect();
    assert!(names.contains(&"paie_temps_partiel"), "{names:?}");
    check_route(
        "je suis passé a demi traitement, ya une assurance ?",
        Some("prevoyance"),
    );
}

/// The topic `question` starts, if any.
fn started(question: &str) -> Option<&'static str> {
    router()
        .route(question)
        .topic()
        .map(|t| program().topic(t).name.as_str())
}

/// The topic `question` starts, or offers first.
fn offered_first(question: &str) -> Option<&'static str> {
    let routing = router().route(question);
    match routing.decision {
        Decision::Confident { topic } => Some(program().topic(topic).name.as_str()),
        Decision::Ambiguous { topics } => topics.first().map(|t| program().topic(*t).name.as_str()),
        Decision::NoMatch { .. } => None,
    }
}

#[test]
fn short_words_and_context_words_do_not_name_a_topic() {
    // « va » is not « VAE » (the same stem): no confident formation.
    assert_eq!(started("va"), None);
    assert_ne!(started("mon bébé va naître"), Some("formation"));
    // « titularisée » is the agent's state; « titularisation » is what no topic answers:
    // not handed off. (Offered first, not started: an off-topic example, « qd est ce ke je
    // serai titularisee », is nearer than any of conges_annuels' — docs/routing.md.)
    assert_eq!(
        offered_first("Je viens d'être titularisée, combien de jours de vacances ?"),
        Some("conges_annuels")
    );
    // Where the agent works (« accueil ») or their grade (« 1re classe ») is context.
    assert_ne!(
        started("je suis agent d'accueil, combien de jours de vacances j'ai ?"),
        Some("paternite")
    );
    assert_ne!(
        started("comment passer en 1re classe"),
        Some("temps_partiel")
    );
}

#[test]
fn off_topic_questions_stay_refused() {
    for question in [
        "mutation dans une autre commune",
        "je veux partir dans une autre commune",
        "titularisation apres le stage",
        "congés bonifiés martinique",
        "medaille du travail ca se demande ou",
        "heures sup pas payees",
        "je veux un stage pour mon fils",
    ] {
        check_route(question, None);
    }
}

#[test]
fn a_french_phonetic_key_corrects_what_edit_distance_cannot() {
    // « konjé » is 2 edits from « congé », and short: it sounds the same.
    let stem = |w: &str| router().analyse(w)[0].stem.clone();
    assert_eq!(stem("konjé"), stem("congé"));
    assert_eq!(content_words("conger"), ["conges"]);
    // Elisions typed without the apostrophe.
    assert_eq!(content_words("lannee"), Vec::<String>::new());
    assert_eq!(content_words("jenvoie mon arret"), ["envoie", "arret"]);
}

/// The « hors sujet » examples of the rules train the classifier's off-topic
/// class: a question like them that shares a topic's word (« rembourse »,
/// « donner ») is offered, not started — it was started without them.
#[test]
fn off_topic_examples_keep_lookalikes_from_being_started() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sources = load(&[root.join("rules")], RULE_EXTENSION).expect("rules/ is readable");
    let mut without = guichet::compile::compile(sources)
        .program
        .expect("the bundled rules compile");
    assert!(without.off_topic.len() >= 150);
    without.off_topic.clear();
    let without = Router::new(&without);
    for question in [
        "on me rembourse mon abonnement de tram ?",
        "je veux donner des cours de natation le weekend",
    ] {
        assert!(without.route(question).topic().is_some(), "« {question} »");
        let routing = router().route(question);
        assert!(routing.topic().is_none(), "« {question} »");
        assert!(routing.off_topic_probability > 0.0, "« {question} »");
    }
    // Sure of it, the classifier hands the question off.
    let routing = router().route("mes heures sup de dimanche sont payées quand");
    assert!(matches!(routing.decision, Decision::NoMatch { .. }));
}
