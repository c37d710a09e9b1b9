//! The nearest valid name to a mistyped one, for messages that say what was meant
//! (`recordcont` -> `recordcount`). One function for every parser of user input.

/// The candidate nearest to `word` (Levenshtein distance, ignoring case), if it is near
/// enough to be a typo of it: at most a third of the word's length (at least 1, at most 3)
/// edits. A word far from every candidate gets no suggestion rather than a random one.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// `"; did you mean NAME?"` for the nearest candidate, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, candidates).map_or(String::new(), |n| format!("; did you mean {n}?"))
}

/// Edit distance in characters, a swap of two neighbours counting as one edit (optimal string
/// alignment): `nmae` is one edit from `name`, as a typist sees it.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let w = b.len() + 1;
    // d[i * w + j]: the distance between a[..i] and b[..j].
    let mut d: Vec<usize> = vec![0; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * w + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let mut best = (d[(i - 1) * w + j - 1] + usize::from(a[i - 1] != b[j - 1]))
                    .min(d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[(i - 2) * w + j - 2] + 1);
                }
                best
            };
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_nearest_and_only_near_ones() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("nmae", "name"), 1);
        let keys = ["recordcount", "operationcount", "readproportion"];
        assert_eq!(nearest("recordcont", keys), Some("recordcount"));
        assert_eq!(nearest("RECORDCOUNT", keys), Some("recordcount"));
        assert_eq!(nearest("readproprtion", keys), Some("readproportion"));
        assert_eq!(nearest("xyz", keys), None);
        assert_eq!(nearest("reed", ["READ", "UPDATE", "SCAN"]), Some("READ"));
        assert_eq!(
            nearest("client", ["name", "endpoints", "clients"]),
            Some("clients")
        );
        assert_eq!(did_you_mean("nme", ["name"]), "; did you mean name?");
        assert_eq!(did_you_mean("zzzzzz", ["name"]), "");
    }
}
