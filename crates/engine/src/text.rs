//! Text hygiene: cleaning what users send, escaping what the bot echoes, and packing Markdown into
//! Discord-sized messages.

/// Discord's limit on one message, in characters.
pub const DISCORD_LIMIT: usize = 2000;

/// Removes what must never reach the engine: NUL and other control characters (newline and tab stay),
/// zero-width characters and bidirectional overrides.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| {
            let cp = *c as u32;
            !(c.is_control() && *c != '\n' && *c != '\t'
                || (0x200B..=0x200F).contains(&cp)
                || (0x202A..=0x202E).contains(&cp)
                || (0x2066..=0x2069).contains(&cp)
                || cp == 0xFEFF
                || cp == 0x2060)
        })
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect::<String>()
        .replace("\r\n", "\n")
}

/// Makes user text safe to echo: no mass or role mentions, no code-fence breakouts, one line.
pub fn echo(s: &str) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line
        .replace('@', "@\u{200B}")
        .replace("<#", "<\u{200B}#")
        .replace('`', "'")
}

/// Packs paragraphs (separated by blank lines) into messages of at most `limit` characters, breaking
/// only between paragraphs where possible, then between lines, then inside a line.
pub fn pack(text: &str, limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    fn flush(cur: &mut String, out: &mut Vec<String>) {
        let t = cur.trim_end().to_string();
        if !t.trim().is_empty() {
            out.push(t);
        }
        cur.clear();
    }
    for para in text.split("\n\n") {
        let para = para.trim_end();
        if para.trim().is_empty() {
            continue;
        }
        let needed = if cur.is_empty() {
            para.chars().count()
        } else {
            cur.chars().count() + 2 + para.chars().count()
        };
        if needed <= limit {
            if !cur.is_empty() {
                cur.push_str("\n\n");
            }
            cur.push_str(para);
            continue;
        }
        // A list that does not fit fills the current message item by item (an item is a line and
        // the indented lines under it, never split), so a long list does not start a message alone.
        let blocks = blocks(para);
        if blocks.len() > 2 && !cur.is_empty() {
            let mut size = cur.chars().count() + 1;
            let mut taken = 0;
            for b in &blocks {
                size += 1 + b.chars().count();
                if size > limit {
                    break;
                }
                taken += 1;
            }
            // Never leave a heading line alone at the end of a message.
            let heading = |b: &String| {
                let t = b.trim_end();
                t.ends_with("**") || t.ends_with(':')
            };
            while taken > 0 && heading(&blocks[taken - 1]) {
                taken -= 1;
            }
            if taken > 0 {
                cur.push_str("\n\n");
                cur.push_str(&blocks[..taken].join("\n"));
            }
            if taken > 0 {
                flush(&mut cur, &mut out);
                let rest = blocks[taken..].join("\n");
                if rest.chars().count() <= limit {
                    cur.push_str(&rest);
                    continue;
                }
                push_lines(&rest, limit, &mut cur, &mut out, flush);
                continue;
            }
        }
        flush(&mut cur, &mut out);
        if para.chars().count() <= limit {
            cur.push_str(para);
            continue;
        }
        push_lines(para, limit, &mut cur, &mut out, flush);
    }
    flush(&mut cur, &mut out);
    out
}

/// The items of a paragraph: each line with the indented lines under it.
fn blocks(para: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in para.lines() {
        match out.last_mut() {
            Some(last) if line.starts_with(' ') => {
                last.push('\n');
                last.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// Packs the lines of a paragraph longer than one message, breaking inside a line only when the line
/// itself is longer than a message.
fn push_lines(
    para: &str,
    limit: usize,
    cur: &mut String,
    out: &mut Vec<String>,
    flush: fn(&mut String, &mut Vec<String>),
) {
    {
        for line in para.lines() {
            let needed = if cur.is_empty() {
                line.chars().count()
            } else {
                cur.chars().count() + 1 + line.chars().count()
            };
            if needed <= limit {
                if !cur.is_empty() {
                    cur.push('\n');
                }
                cur.push_str(line);
                continue;
            }
            flush(cur, out);
            let chars: Vec<char> = line.chars().collect();
            for chunk in chars.chunks(limit) {
                let piece: String = chunk.iter().collect();
                if piece.chars().count() == limit {
                    out.push(piece);
                } else {
                    cur.push_str(&piece);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_respects_the_limit_and_keeps_everything() {
        let para = "word ".repeat(100);
        let text = [para.trim(); 12].join("\n\n");
        let msgs = pack(&text, 2000);
        assert!(msgs.len() > 1);
        assert!(msgs.iter().all(|m| m.chars().count() <= 2000));
        let words: usize = msgs.iter().map(|m| m.split_whitespace().count()).sum();
        assert_eq!(words, 1200);
        let long = "x".repeat(4500);
        let msgs = pack(&long, 2000);
        assert_eq!(msgs.iter().map(|m| m.len()).sum::<usize>(), 4500);
    }

    #[test]
    fn echo_defuses_mentions() {
        let e = echo("hi @everyone and @here <@&123> `x`");
        assert!(!e.contains("@everyone") && !e.contains("@here") && !e.contains("<@&"));
    }

    #[test]
    fn clean_strips_controls() {
        assert_eq!(clean("a\u{0}b\u{202E}c\u{200B}d\te"), "abcd e");
    }
}
