//! Every payload starts with a stamp, `rc:<message id>:<send time in µs>:`, padded with `x` to
//! the payload size. Receivers find stamps by scanning the raw frame for `rc:` where a payload
//! starts (after a JSON string quote, after a NATS `MSG` line, or at the start of a frame),
//! without parsing JSON: the
//! tool reads as many frames as the server writes, on the same cores.

use memchr::memmem;

const MARK: &[u8] = b"rc:";

/// The payload text for message `id` sent `sent_us` after the run's epoch.
pub fn payload(id: u64, sent_us: u64, size: usize) -> String {
    let mut text = format!("rc:{id}:{sent_us}:");
    while text.len() < size {
        text.push('x');
    }
    text
}

fn number(bytes: &[u8]) -> Option<(u64, usize)> {
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let n = bytes[..digits].iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some((n, digits))
}

/// Calls `found(id, sent_us)` for every stamp in `frame`.
pub fn scan(frame: &[u8], mut found: impl FnMut(u64, u64)) {
    for at in memmem::find_iter(frame, MARK) {
        // A stamp starts a payload: after a quote in JSON, or at the start of a raw payload.
        if at > 0 && frame[at - 1] != b'"' && frame[at - 1] != b'\n' {
            continue;
        }
        let rest = &frame[at + MARK.len()..];
        let Some((id, n)) = number(rest) else { continue };
        if rest.get(n) != Some(&b':') {
            continue;
        }
        let Some((sent, m)) = number(&rest[n + 1..]) else { continue };
        if rest.get(n + 1 + m) == Some(&b':') {
            found(id, sent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_have_the_requested_size_and_scan_back() {
        let p = payload(42, 123_456, 200);
        assert_eq!(p.len(), 200);
        let frame = format!(r#"{{"MsgBody":[{{"MsgContent":{{"Text":"{p}"}}}}],"Data":"{}"}}"#, payload(7, 9, 10));
        let mut seen = Vec::new();
        scan(frame.as_bytes(), |id, t| seen.push((id, t)));
        assert_eq!(seen, [(42, 123_456), (7, 9)]);
    }

    #[test]
    fn raw_payloads_and_lookalikes() {
        let mut seen = Vec::new();
        scan(b"rc:1:2:xx", |id, t| seen.push((id, t)));
        scan(b"MSG load-0 1 9\r\nrc:3:4:x\r\n", |id, t| seen.push((id, t)));
        scan(br#"{"Text":"arc:1:2:"} "rc:5:" "rc:a:1:""#, |id, t| seen.push((id, t)));
        assert_eq!(seen, [(1, 2), (3, 4)]);
    }
}
