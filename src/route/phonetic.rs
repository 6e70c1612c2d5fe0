//! A French phonetic key: two spellings that sound alike get the same key,
//! so « conger » meets « congés », « ke » meets « que », « kan » meets
//! « quand » and « jatten » meets « j'attends ».
//!
//! The key is written with one letter per sound: vowels `a e i o u y`
//! (`y` for « ou »), nasal vowels `A` (an/en), `I` (in/ain/un), `O` (on),
//! consonants as heard (`k` for c/qu/k, `s` for ç/ce/ss, `j` for ge/j, `C`
//! for ch, `f` for ph). Silent `h`, doubled letters and silent final
//! letters (e, s, t, x, d, p) are dropped. It is a rough key, not a
//! transcription: the router only uses it to match a word the rules do not
//! know with one they use, and inside character n-grams
//! ([`super::examples`]).

/// The phonetic key of a folded word (lowercase, no accents).
pub fn key(word: &str) -> String {
    let c: Vec<char> = word.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or(' ');
    let vowel = |x: char| matches!(x, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let front = |x: char| matches!(x, 'e' | 'i' | 'y');
    let mut out = String::with_capacity(c.len());
    let mut chars = Vec::with_capacity(3);
    let mut i = 0;
    while i < c.len() {
        let (x, n1, n2) = (c[i], at(i + 1), at(i + 2));
        // Nasal vowel: vowel + n/m not followed by a vowel or another n/m.
        let nasal = |after: usize| {
            matches!(at(after), 'n' | 'm')
                && !vowel(at(after + 1))
                && !matches!(at(after + 1), 'n' | 'm')
        };
        let (sound, len): (&str, usize) = match x {
            'e' if n1 == 'a' && n2 == 'u' => ("o", 3),
            'a' if n1 == 'u' => ("o", 2),
            'a' | 'e' if n1 == 'i' && nasal(i + 2) => ("I", 3),
            'a' | 'e' if n1 == 'i' || n1 == 'y' => ("e", 2),
            'o' if n1 == 'i' => ("wa", 2),
            'o' if n1 == 'u' => ("y", 2),
            'a' | 'e' if nasal(i + 1) => ("A", 2),
            'i' | 'u' | 'y' if nasal(i + 1) => ("I", 2),
            'o' if nasal(i + 1) => ("O", 2),
            // Final -er, -ez, -et sound like é.
            'e' if matches!(n1, 'r' | 'z' | 't') && i + 2 == c.len() && i > 0 => ("e", 2),
            'h' => ("", 1),
            'a' | 'e' | 'i' | 'o' | 'u' => ("", 0),
            'y' => ("i", 1),
            'p' if n1 == 'h' => ("f", 2),
            's' if n1 == 'c' && n2 == 'h' => ("C", 3),
            'c' if n1 == 'h' => ("C", 2),
            'q' if n1 == 'u' => ("k", 2),
            'g' if n1 == 'u' && front(n2) => ("g", 2),
            'c' if n1 == 'k' => ("k", 2),
            'c' if front(n1) => ("s", 1),
            'c' | 'q' => ("k", 1),
            'g' if front(n1) => ("j", 1),
            's' if n1 == 's' => ("s", 2),
            's' if i > 0 && vowel(c[i - 1]) && vowel(n1) => ("z", 1),
            'x' => ("ks", 1),
            'w' => ("v", 1),
            _ => ("", 0),
        };
        // Length 0: the letter stands for itself.
        let (sound, len) = if len == 0 {
            (std::slice::from_ref(&x), 1)
        } else {
            (&buffer(sound, &mut chars)[..], len)
        };
        for &s in sound {
            if !out.ends_with(s) {
                out.push(s);
            }
        }
        i += len;
    }
    // Silent final letters (several: « attends », « congés »).
    while out.len() > 1 && out.ends_with(['e', 's', 't', 'x', 'd', 'p']) {
        out.pop();
    }
    out
}

/// The characters of `sound`, in `chars` (reused: no allocation per letter).
fn buffer<'a>(sound: &str, chars: &'a mut Vec<char>) -> &'a Vec<char> {
    chars.clear();
    chars.extend(sound.chars());
    chars
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn spellings_that_sound_alike_share_a_key() {
        for (a, b) in [
            ("conger", "conges"),
            ("ke", "que"),
            ("kan", "quand"),
            ("jatten", "jattends"),
            ("prevoyence", "prevoyance"),
            ("payer", "paye"),
            ("bebe", "bebes"),
            ("teletravaille", "teletravail"),
            ("mutuel", "mutuelle"),
        ] {
            assert_eq!(key(a), key(b), "{a} / {b}");
        }
    }

    #[test]
    fn words_that_sound_apart_keep_apart() {
        for (a, b) in [
            ("conges", "cet"),
            ("paie", "pere"),
            ("rtt", "arret"),
            ("mal", "mail"),
        ] {
            assert_ne!(key(a), key(b), "{a} / {b}");
        }
    }
}
