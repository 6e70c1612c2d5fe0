//! Every problem the compiler can report, and all of its message text.
//!
//! A stage reports a [`Problem`]: a [`ProblemKind`] and the span it is about.
//! [`Problem::diagnostic`] is the one place where kinds become French
//! sentences, codes, labels, notes and help. Codes are stable: `E1xx` syntax,
//! `E2xx` names, `E3xx` types, `E4xx` coverage and outcomes, `Wxxx` warnings.
//! The snapshot tests in `tests/diagnostics.rs` hold one fixture per kind.

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub span: Span,
}

/// What kind of name a name is, for messages about names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Fact,
    Contact,
    Topic,
    Function,
    /// A fact or a `let` variable used in an expression.
    Variable,
    Let,
    /// A value of a choice.
    Value,
    Fallback,
}

impl NameKind {
    /// The noun and whether it is feminine, for agreement in messages.
    fn noun(self) -> (&'static str, bool) {
        match self {
            NameKind::Fact => ("fait", false),
            NameKind::Contact => ("contact", false),
            NameKind::Topic => ("sujet", false),
            NameKind::Function => ("fonction", true),
            NameKind::Variable => ("nom", false),
            NameKind::Let => ("variable", true),
            NameKind::Value => ("valeur", true),
            NameKind::Fallback => ("renvoi par défaut (`fallback`)", false),
        }
    }

    fn the(self) -> String {
        match self.noun() {
            (noun, true) => format!("la {noun}"),
            (noun, false) => format!("le {noun}"),
        }
    }

    fn unknown(self) -> String {
        match self.noun() {
            (noun, true) => format!("{noun} inconnue"),
            (noun, false) => format!("{noun} inconnu"),
        }
    }

    /// `adjective` agreed with the noun: "défini" or "définie".
    fn agree(self, adjective: &str) -> String {
        match self.noun() {
            (_, true) => format!("{adjective}e"),
            (_, false) => adjective.to_string(),
        }
    }

    fn none(self) -> String {
        match self.noun() {
            (noun, true) => format!("aucune {noun}"),
            (noun, false) => format!("aucun {noun}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProblemKind {
    // --- syntax
    Syntax {
        expected: Vec<String>,
        found: String,
        /// A keyword the writer probably meant.
        suggestion: Option<String>,
        /// Where the keyword found can be written, when a keyword was found out of place.
        keyword_place: Option<&'static str>,
    },
    /// A string that opened and did not close on its line (E101 too).
    UnclosedString {
        opened: Span,
        /// Where reading stopped, and what was found there.
        stopped: Span,
        found: String,
    },
    TooDeep,
    ExpressionTooLong,
    NotUtf8,
    InterpolationNotAllowed,
    InvalidDate {
        text: String,
    },
    // --- names
    Undefined {
        what: NameKind,
        name: String,
        suggestion: Option<String>,
        /// For a name used as a value: the `fact` line that would declare it.
        declare: Option<String>,
    },
    Duplicate {
        what: NameKind,
        name: String,
        first: Span,
    },
    UnknownValue {
        fact: String,
        value: String,
        suggestion: Option<String>,
        values: Vec<String>,
    },
    // --- types and declarations
    TypeMismatch {
        context: String,
        expected: String,
        found: String,
    },
    OperandMismatch {
        op: &'static str,
        left: String,
        right: String,
    },
    WrongArity {
        function: String,
        expected: usize,
        found: usize,
    },
    OptionNotForKind {
        option: &'static str,
        kind: &'static str,
    },
    DuplicateOption {
        option: &'static str,
        first: Span,
    },
    MissingChoices,
    /// A `states` phrase of a number fact without `{}`.
    StatesWithoutPlaceholder,
    /// `{}` outside a `states` phrase of a number fact.
    PlaceholderNotAllowed,
    /// A `states` phrase that says nothing but the number (or nothing), or has two `{}`.
    StatesTooVague {
        number: bool,
    },
    /// `states oui/non` on a fact that is not yes/no, or plain phrases on a yes/no fact.
    StatesYesNoForm {
        yes_no_fact: bool,
    },
    /// A number before a `states` phrase of a fact that is not a number.
    StatesValueNotNumber,
    /// A number before a `states` phrase that the fact does not accept.
    StatesValueOutOfRange {
        value: f64,
        range: String,
    },
    InvalidRange {
        low: f64,
        high: f64,
    },
    PatternMismatch {
        pattern: String,
        subject: String,
        /// The patterns that are valid here, in words.
        valid: String,
    },
    CannotMatch {
        found: String,
    },
    ContactByNotChoice {
        fact: String,
        found: String,
    },
    // --- coverage and outcomes
    NonExhaustive {
        missing: Vec<String>,
    },
    ContactNotExhaustive {
        fact: String,
        missing: Vec<String>,
    },
    MissingOutcome {
        topic: String,
        /// The conditions that lead to the end, as code (« `ok` = non »).
        path: Vec<String>,
        /// Code that ends the path and compiles.
        fix: String,
        /// The path ends because an `if` has no `else`.
        no_else: bool,
    },
    GotoCycle {
        cycle: Vec<String>,
    },
    /// Dates no period of an `in force` holds, in words.
    PeriodGap {
        missing: Vec<String>,
    },
    /// Dates two periods of an `in force` both hold; `first` is the earlier period.
    PeriodOverlap {
        shared: String,
        first: Span,
    },
    /// A period whose first day comes after its last.
    EmptyPeriod {
        from: String,
        until: String,
    },
    // --- warnings
    UnreachableArm,
    UnreachableStatement {
        after: Span,
    },
    UnusedFact {
        name: String,
    },
    UnusedContact {
        name: String,
    },
    NoTriggers {
        topic: String,
    },
    SharedTrigger {
        trigger: String,
        /// Whether the repeated text is an example (else a trigger).
        example: bool,
        /// The topic that has it first, and where.
        topic: String,
        first: Span,
    },
    /// `examples` on a lexicon notion other than « hors sujet ».
    ExamplesOutsideOffTopic {
        notion: String,
    },
    /// An example of the « hors sujet » notion that is also a topic's trigger or example.
    OffTopicExampleOfTopic {
        example: String,
        /// The topic that has it, and where.
        topic: String,
        first: Span,
    },
    NoSource,
    /// A topic that does not say when it was last reviewed (only with a date to check against).
    ReviewMissing {
        topic: String,
    },
    /// A topic last reviewed more than 12 months before the date of the check.
    ReviewStale {
        topic: String,
        date: String,
        by: String,
        months: i64,
    },
}

impl Problem {
    pub fn new(kind: ProblemKind, span: Span) -> Problem {
        Problem { kind, span }
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    pub fn severity(&self) -> Severity {
        use ProblemKind::*;
        match self.kind {
            UnreachableArm
            | UnreachableStatement { .. }
            | UnusedFact { .. }
            | UnusedContact { .. }
            | NoTriggers { .. }
            | SharedTrigger { .. }
            | NoSource
            | ReviewMissing { .. }
            | ReviewStale { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    pub fn diagnostic(&self) -> Diagnostic {
        let d = Draft::new(self.severity(), self.span);
        self.describe(d).done()
    }

    fn describe(&self, d: Draft) -> Draft {
        use ProblemKind::*;
        match &self.kind {
            Syntax {
                expected,
                found,
                suggestion,
                keyword_place,
            } => {
                let message = if found == "la fin du fichier" {
                    "syntaxe : fin du fichier inattendue".to_string()
                } else {
                    format!("syntaxe : {found} inattendu")
                };
                let mut d = d
                    .code("E101")
                    .message(message)
                    .label(format!("{found} ici"))
                    .note(expected_sentence(expected));
                if let Some(place) = keyword_place {
                    d = d.note(format!("{found} {place}."));
                }
                match suggestion {
                    Some(s) => d.help(format!("vouliez-vous dire `{s}` ?")).fix(
                        format!("Remplacer par `{s}`"),
                        Some(self.span),
                        s.clone(),
                    ),
                    None => d,
                }
            }
            UnclosedString {
                opened,
                stopped,
                found,
            } => d
                .code("E101")
                .message("syntaxe : guillemet fermant oublié ?".into())
                .label("il manque sans doute un `\"` à la fin de cette ligne".into())
                .secondary(*opened, "ce texte commence ici".into())
                .secondary(
                    *stopped,
                    if found == "la fin du fichier" {
                        "le fichier se termine sans que le texte soit fermé".into()
                    } else {
                        format!("la lecture bute ensuite ici : {found} inattendu")
                    },
                )
                .help("fermez le texte par un guillemet droit `\"` à la fin de sa ligne (un texte qui continue sur plusieurs lignes se termine au `\"` suivant)".into())
                .fix("Fermer le texte à la fin de la ligne".into(), Some(self.span), "\"".into()),
            TooDeep => d
                .code("E102")
                .message("imbrication trop profonde".into())
                .label("ici".into())
                .note("Un fichier de règles ne peut pas imbriquer plus de 128 blocs, parenthèses ou négations.".into())
                .help("découpez la procédure en plusieurs sujets reliés par `goto`".into()),
            ExpressionTooLong => d
                .code("E103")
                .message("expression trop longue".into())
                .label("cette expression enchaîne plus de 256 opérateurs".into())
                .help("introduisez des étapes intermédiaires avec `let`".into()),
            NotUtf8 => d
                .code("E104")
                .message("ce fichier n'est pas du texte UTF-8".into())
                .label("premier octet invalide".into())
                .help("enregistrez le fichier en UTF-8 (c'est le choix par défaut des éditeurs récents)".into()),
            InterpolationNotAllowed => d
                .code("E105")
                .message("interpolation `{…}` interdite ici".into())
                .label("ce texte doit être fixe".into())
                .note("Les interpolations ne sont permises que dans le texte d'un `answer` ou d'un `handoff`.".into())
                .help("pour écrire une accolade, doublez-la d'une barre oblique : `\\{`".into()),
            InvalidDate { text } => d
                .code("E106")
                .message(format!("la date `{text}` n'existe pas"))
                .label("date invalide".into())
                .note("Les dates s'écrivent jj/mm/aaaa, par exemple 01/03/2024.".into()),
            Undefined {
                what,
                name,
                suggestion,
                declare,
            } => {
                let d = d
                    .code("E201")
                    .message(format!("{} : `{name}`", what.unknown()))
                    .label(format!("{} ne s'appelle `{name}`", what.none()));
                let d = match suggestion {
                    Some(s) => d.fix(format!("Remplacer par `{s}`"), Some(self.span), s.clone()),
                    None => d,
                };
                let d = match declare {
                    Some(line) => d.fix(
                        format!("Déclarer le fait `{name}` à la fin du fichier"),
                        None,
                        format!("\n{line}\n"),
                    ),
                    None => d,
                };
                match (suggestion, declare) {
                    (Some(s), Some(line)) => d.help(format!(
                        "vouliez-vous dire `{s}` ? Si c'est un nouveau fait, déclarez-le (dans `rules/commun.guichet` s'il sert à plusieurs sujets) : `{line}`"
                    )),
                    (None, Some(line)) => d.help(format!(
                        "si c'est un nouveau fait, déclarez-le (dans `rules/commun.guichet` s'il sert à plusieurs sujets) : `{line}`"
                    )),
                    (Some(s), None) => d.help(format!("vouliez-vous dire `{s}` ?")),
                    (None, None) => d,
                }
            }
            Duplicate { what, name, first } => d
                .code("E202")
                .message(format!("{} `{name}` est {} deux fois", what.the(), what.agree("défini")))
                .label("deuxième définition".into())
                .secondary(*first, "première définition ici".into())
                .help("renommez l'une des deux définitions, ou supprimez-en une".into()),
            UnknownValue { fact, value, suggestion, values } => {
                let d = d
                    .code("E203")
                    .message(format!("`{value}` n'est pas une valeur de `{fact}`"))
                    .label("valeur inconnue".into())
                    .note(format!("Valeurs de `{fact}` : {}.", values.join(", ")));
                match suggestion {
                    Some(s) => d.help(format!("vouliez-vous dire `{s}` ?")),
                    None => d,
                }
            }
            TypeMismatch { context, expected, found } => d
                .code("E301")
                .message(format!("type incompatible : {context} attend {expected}"))
                .label(format!("ceci est {found}")),
            OperandMismatch { op, left, right } => d
                .code("E302")
                .message(format!("`{op}` ne s'applique pas à {left} et {right}"))
                .label("opération impossible".into()),
            WrongArity { function, expected, found } => d
                .code("E303")
                .message(format!("`{function}` attend {expected} argument(s), pas {found}"))
                .label("appel ici".into()),
            OptionNotForKind { option, kind } => d
                .code("E304")
                .message(format!("l'option `{option}` ne s'applique pas à un fait de type `{kind}`"))
                .label("option inutile ici".into()),
            DuplicateOption { option, first } => d
                .code("E305")
                .message(format!("l'option `{option}` est donnée deux fois"))
                .label("deuxième fois".into())
                .secondary(*first, "première fois ici".into()),
            MissingChoices => d
                .code("E306")
                .message("un fait `choice` doit lister ses valeurs".into())
                .label("valeurs manquantes".into())
                .help("ajoutez un bloc `{ valeur \"libellé\" … }` après la question".into()),
            StatesWithoutPlaceholder => d
                .code("E320")
                .message("cette phrase `states` ne dit pas où est le nombre".into())
                .label("il manque `{}`".into())
                .note("Pour un fait nombre, la phrase lie le nombre à son unité ou à un mot-clé ; `{}` marque la place du nombre.".into())
                .help("par exemple : `states \"{} jours par semaine\", \"je suis à {} %\"`".into()),
            PlaceholderNotAllowed => d
                .code("E321")
                .message("`{}` n'a de sens que dans une phrase `states` d'un fait nombre".into())
                .label("pas de nombre à placer ici".into())
                .help("écrivez la phrase en entier, sans `{}`".into()),
            StatesTooVague { number: true } => d
                .code("E322")
                .message("une phrase `states` doit lier un seul nombre `{}` à des mots".into())
                .label("un nombre seul ne dit pas de quoi il parle".into())
                .note("« depuis 2 ans », « mon 3e enfant » ou « en 2 fois » contiennent des nombres qui ne sont pas cette valeur.".into())
                .help("écrivez l'unité ou le mot-clé à côté : `\"{} jours par semaine\"`".into()),
            StatesTooVague { number: false } => d
                .code("E322")
                .message("cette phrase `states` est vide".into())
                .label("phrase vide".into())
                .help("écrivez la phrase telle qu'un agent l'écrit : `\"je suis contractuel\"`".into()),
            StatesYesNoForm { yes_no_fact: true } => d
                .code("E323")
                .message("les phrases `states` d'un fait oui/non disent la valeur qu'elles énoncent".into())
                .label("`oui` ou `non` manquant".into())
                .help("écrivez `states oui \"je suis enceinte\" non \"je ne suis pas enceinte\"`".into()),
            StatesYesNoForm { yes_no_fact: false } => d
                .code("E323")
                .message("`states oui`/`states non` ne s'applique qu'à un fait oui/non".into())
                .label("ce fait n'est pas oui/non".into())
                .help("écrivez les phrases sans `oui` ni `non`".into()),
            StatesValueNotNumber => d
                .code("E324")
                .message("un nombre devant une phrase `states` ne va qu'avec un fait nombre".into())
                .label("ce fait n'est pas un nombre".into())
                .help("retirez le nombre : la phrase d'une valeur de choix énonce cette valeur ; pour un oui/non, écrivez `states oui \"…\" non \"…\"`".into()),
            StatesValueOutOfRange { value, range } => d
                .code("E325")
                .message(format!("le fait n'accepte pas {}", number(*value)))
                .label(format!("valeurs possibles : {range}"))
                .help("corrigez le nombre, ou l'intervalle `range` du fait".into()),
            InvalidRange { low, high } => d
                .code("E307")
                .message(format!("intervalle vide : {} est plus grand que {}", number(*low), number(*high)))
                .label("aucune valeur possible".into()),
            PatternMismatch {
                pattern,
                subject,
                valid,
            } => d
                .code("E308")
                .message(format!("ce motif ({pattern}) ne peut pas correspondre à {subject}"))
                .label("motif incompatible".into())
                .help(format!("motifs possibles ici : {valid}")),
            CannotMatch { found } => d
                .code("E309")
                .message(format!("`match` ne s'applique pas à {found}"))
                .label("sujet du `match`".into())
                .help("`match` s'applique à un choix, à oui/non ou à un nombre ; pour le reste, utilisez `if`".into()),
            ContactByNotChoice { fact, found } => d
                .code("E310")
                .message(format!("un contact ne peut dépendre que d'un choix, or `{fact}` est {found}"))
                .label("ce fait n'est pas un choix".into()),
            NonExhaustive { missing } => d
                .code("E401")
                .message("ce `match` ne couvre pas tous les cas".into())
                .label(format!("non couvert : {}", missing.join(", ")))
                .note("Guichet ne doit jamais rester sans réponse : chaque cas doit mener à une réponse ou à un transfert.".into())
                .help("ajoutez une branche pour chaque cas manquant, ou `_ => handoff …` pour les confier à une personne".into()),
            ContactNotExhaustive { fact, missing } => d
                .code("E402")
                .message(format!("ce contact ne couvre pas toutes les valeurs de `{fact}`"))
                .label(format!("non couvert : {}", missing.join(", ")))
                .help("ajoutez une branche pour chaque valeur manquante, ou `_ => { … }`".into()),
            MissingOutcome {
                topic,
                path,
                fix,
                no_else,
            } => {
                let when = if path.is_empty() {
                    "dans tous les cas".to_string()
                } else {
                    format!("quand {}", path.join(" et "))
                };
                let help = if *no_else {
                    format!("ajoutez après cette accolade une branche pour les autres cas, par exemple : `{fix}`")
                } else {
                    format!("terminez ce bloc par une réponse, un transfert ou un `goto`, par exemple : `{fix}`")
                };
                let insert = if *no_else {
                    crate::diagnostic::Fix {
                        title: format!("Ajouter `{fix}`"),
                        span: Some(Span::new(self.span.file, self.span.end as usize, self.span.end as usize)),
                        text: format!(" {fix}"),
                    }
                } else {
                    crate::diagnostic::Fix {
                        title: format!("Terminer par `{fix}`"),
                        span: Some(Span::new(self.span.file, self.span.start as usize, self.span.start as usize)),
                        text: format!("{fix}\n"),
                    }
                };
                d.fix(insert.title, insert.span, insert.text)
                    .code("E403")
                    .message(format!("le sujet `{topic}` peut se terminer sans réponse ni transfert"))
                    .label(format!("{when}, la conversation arrive ici sans `answer`, `handoff` ni `goto`"))
                    .note("Chaque chemin doit se terminer par une réponse, un transfert à une personne ou un renvoi vers un autre sujet.".into())
                    .help(help)
            }
            GotoCycle { cycle } => d
                .code("E404")
                .message("ces `goto` forment une boucle".into())
                .label("ce renvoi revient à son point de départ".into())
                .note(format!("Sujets de la boucle : {}.", cycle.join(", ")))
                .help("une conversation ne peut pas revenir à un sujet déjà parcouru : supprimez l'un des `goto`".into()),
            PeriodGap { missing } => d
                .code("E405")
                .message("ces périodes ne couvrent pas toutes les dates".into())
                .label(format!("aucun texte en vigueur : {}", missing.join(", ")))
                .note("Guichet ne doit jamais rester sans réponse : à chaque date, une et une seule période doit s'appliquer.".into())
                .help("ajoutez une période pour les dates manquantes, par exemple `until JJ/MM/AAAA => handoff …` pour les dates antérieures aux textes connus".into()),
            PeriodOverlap { shared, first } => d
                .code("E406")
                .message("deux périodes se chevauchent".into())
                .label(format!("cette période et une précédente s'appliquent toutes deux {shared}"))
                .secondary(*first, "période précédente".into())
                .note("À une date donnée, un seul texte peut être en vigueur : sinon Guichet ne saurait pas lequel appliquer.".into())
                .help("faites finir la période précédente la veille du premier jour de celle-ci".into()),
            EmptyPeriod { from, until } => d
                .code("E407")
                .message(format!("période vide : le {from} est après le {until}"))
                .label("aucune date dans cette période".into())
                .help("le premier jour s'écrit avant le dernier : `from 01/03/2025 until 31/12/2025`".into()),
            UnreachableArm => d
                .code("W001")
                .message("branche inatteignable".into())
                .label("les branches précédentes couvrent déjà ces cas".into())
                .help("supprimez cette branche, ou placez-la avant celle qui la masque".into()),
            UnreachableStatement { after } => d
                .code("W002")
                .message("instruction inatteignable".into())
                .label("jamais exécutée".into())
                .secondary(*after, "la conversation se termine ici".into()),
            UnusedFact { name } => d
                .code("W003")
                .message(format!("le fait `{name}` n'est utilisé nulle part"))
                .label("jamais utilisé".into())
                .help("supprimez-le, ou utilisez-le dans un sujet".into()),
            UnusedContact { name } => d
                .code("W004")
                .message(format!("le contact `{name}` n'est utilisé nulle part"))
                .label("jamais utilisé".into()),
            NoTriggers { topic } => d
                .code("W005")
                .message(format!("le sujet `{topic}` n'a pas de `triggers`"))
                .label("sujet sans phrases déclencheuses".into())
                .help("ajoutez `triggers \"…\", \"…\"` : les questions libres des agents sont orientées grâce à elles".into()),
            SharedTrigger {
                trigger,
                example,
                topic,
                first,
            } => d
                .code("W007")
                .message(if *example {
                    format!("« {trigger} » est déjà un exemple ou un déclencheur du sujet `{topic}`")
                } else {
                    format!("« {trigger} » déclenche déjà le sujet `{topic}`")
                })
                .label(if *example { "exemple en double" } else { "déclencheur en double" }.into())
                .secondary(*first, format!("déjà dans `{topic}` ici"))
                .note("Une question libre qui contient ces mots ne peut pas choisir entre les deux sujets.".into())
                .help(if *example {
                    "gardez cet exemple dans le seul sujet qui répond à la question ; s'il vaut pour les deux, c'est qu'il manque une précision (« mon fils est malade » plutôt que « je suis malade »)"
                } else {
                    "gardez ce déclencheur dans un seul sujet, ou rendez-les plus précis (« congé maladie ordinaire », « congé maladie longue durée »)"
                }.into()),
            ExamplesOutsideOffTopic { notion } => d
                .code("E107")
                .message(format!("la notion « {notion} » du lexique ne prend pas d'exemples"))
                .label("des `examples` pour cette notion".into())
                .note("Seule la notion « hors sujet » prend des questions entières : celles qu'aucun sujet ne traite, pour apprendre au routeur à les transmettre.".into())
                .help("mettez ces questions dans les `examples` du sujet qui y répond ; gardez ici les expressions de la situation".into()),
            OffTopicExampleOfTopic {
                example,
                topic,
                first,
            } => d
                .code("E108")
                .message(format!("« {example} » est hors sujet et aussi un exemple ou un déclencheur du sujet `{topic}`"))
                .label("exemple hors sujet".into())
                .secondary(*first, format!("dans `{topic}` ici"))
                .note("Une question ne peut pas être à la fois traitée par un sujet et par aucun.".into())
                .help(format!("si `{topic}` y répond, retirez-la des exemples « hors sujet » ; sinon, retirez-la du sujet")),
            NoSource => d
                .code("W006")
                .message("réponse sans source".into())
                .label("aucun `source` après ce `answer`".into())
                .help("citez le texte qui fonde la réponse : `source \"Décret n° …, article …\"`".into()),
            ReviewMissing { topic } => d
                .code("W010")
                .message(format!("le sujet `{topic}` n'indique pas sa dernière relecture"))
                .label("aucune ligne `reviewed` dans ce sujet".into())
                .note("Chaque sujet doit être relu et validé par la DRH au moins une fois par an.".into())
                .help("après relecture, ajoutez au début du sujet : `reviewed JJ/MM/AAAA by \"Nom, fonction\"` (en français : `relu le JJ/MM/AAAA par \"…\"`)".into()),
            ReviewStale { topic, date, by, months } => d
                .code("W011")
                .message(format!("le sujet `{topic}` n'a pas été relu depuis plus de 12 mois"))
                .label(format!("relu le {date} par « {by} », il y a {months} mois"))
                .note("Le droit change souvent : chaque sujet doit être relu et validé par la DRH au moins une fois par an.".into())
                .help("faites relire le sujet, puis mettez à jour la date et le nom du relecteur".into()),
        }
    }
}

fn expected_sentence(expected: &[String]) -> String {
    match expected {
        [] => "Le texte ne peut pas continuer ainsi.".to_string(),
        [one] => format!("Attendu : {one}."),
        many => format!("Attendu : {}.", many.join(", ou ")),
    }
}

/// A number as written in a message: no trailing `.0`, decimal comma.
pub fn number(n: f64) -> String {
    let s = if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    };
    s.replace('.', ",")
}

/// A diagnostic being written, with a fluent interface so that each kind reads as one expression.
struct Draft {
    diagnostic: Diagnostic,
    span: Span,
}

impl Draft {
    fn new(severity: Severity, span: Span) -> Draft {
        Draft {
            diagnostic: Diagnostic {
                severity,
                code: "",
                message: String::new(),
                labels: Vec::new(),
                notes: Vec::new(),
                help: None,
                fixes: Vec::new(),
            },
            span,
        }
    }
    /// A fix: `text` over `span`, or at the end of the file when `span` is `None`.
    fn fix(mut self, title: String, span: Option<Span>, text: String) -> Draft {
        self.diagnostic
            .fixes
            .push(crate::diagnostic::Fix { title, span, text });
        self
    }
    fn code(mut self, code: &'static str) -> Draft {
        self.diagnostic.code = code;
        self
    }
    fn message(mut self, message: String) -> Draft {
        self.diagnostic.message = message;
        self
    }
    fn label(mut self, message: String) -> Draft {
        self.diagnostic.labels.insert(
            0,
            Label {
                span: self.span,
                message,
                primary: true,
            },
        );
        self
    }
    fn secondary(mut self, span: Span, message: String) -> Draft {
        self.diagnostic.labels.push(Label {
            span,
            message,
            primary: false,
        });
        self
    }
    fn note(mut self, note: String) -> Draft {
        self.diagnostic.notes.push(note);
        self
    }
    fn help(mut self, help: String) -> Draft {
        self.diagnostic.help = Some(help);
        self
    }
    fn done(self) -> Diagnostic {
        self.diagnostic
    }
}
