//! The one rule for "this message has something to read", shared by training and serving, so
//! the trainer never learns from a text that predict-api would refuse as empty.

/// True when `text` has at least one visible character: not only whitespace, control
/// characters (NUL included) or zero-width format characters. Stops at the first visible
/// character, so a real message costs one or two checks.
pub fn has_visible_text(text: &str) -> bool {
    !text.chars().all(is_blank)
}

/// Characters that show nothing: whitespace, control characters and the zero-width
/// format characters (a text of only U+200B or U+FEFF is as empty as one of spaces).
fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_invisible_texts_have_nothing_to_read() {
        for text in ["", " \n\t", "\0\0\0", "\u{200B}\u{FEFF}", "\u{7}\u{00AD}"] {
            assert!(!has_visible_text(text), "{text:?}");
        }
        for text in ["a", "\0a", " 紧急 ", "\u{200B}!"] {
            assert!(has_visible_text(text), "{text:?}");
        }
    }
}
