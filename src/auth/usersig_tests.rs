use super::*;

// Fixed vectors from the compatibility spec (section 2.4), made by Tencent's own libraries.
const APPID: u64 = 1_400_000_000;
const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const T0: u64 = 1_600_000_000;
const PY_SIG: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFEzNPXFmekgGwyjTAPy0l2y3BNL01KDMwPynUorUjwizV29jb1CUhyzfAMsjYNNvMvCjH1tlWoBGhAzGw__";
const NODE_SIG: &str = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZmqGKplYUZBaBxE1NTY3gosWZ6UpWSoZRpgF56S5Z7omlaanBmQH5TqUVKR6R5q7exl4hKY5ZvgGWxsEm3mVhxr62SrUAnj0xuw__";
const PY_SIG_USERBUF: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFEzNPWlxalFSaVpIFsiw72y4FZkpoOELEvKUipLSw0Ng4IrijzLIwwqnA1M88PNfVICKsLyqrKrnAqSg0L0QwvTfG2VagEFajsQ";

#[test]
fn official_python_and_node_vectors_verify() {
    for sig in [PY_SIG, NODE_SIG, PY_SIG_USERBUF] {
        let claims = verify(sig, APPID, KEY, "xiaojun", T0 + 10).unwrap();
        assert_eq!(claims, Claims { identifier: "xiaojun".into(), sdkappid: APPID, time: T0, expire: 15_552_000 });
    }
}

#[test]
fn expiry_is_strictly_after_time_plus_expire() {
    assert!(verify(PY_SIG, APPID, KEY, "xiaojun", 1_615_552_000).is_ok());
    let err = verify(PY_SIG, APPID, KEY, "xiaojun", 1_615_552_001).unwrap_err();
    assert_eq!(err, SigError::Expired { expired_at: 1_615_552_000 });
    assert_eq!(err.code(), 70001);
}

#[test]
fn issued_token_round_trips_and_matches_the_reference_hmac() {
    let sig = issue(APPID, KEY, "xiaojun", 15_552_000, T0);
    let doc = decode(&sig).unwrap();
    assert_eq!(doc["TLS.sig"], "1Z5PngDjGaufeSiPoBuxdHY7EK3JTdAjMP93S4KvV3M=");
    assert!(sig.chars().all(|c| c.is_ascii_alphanumeric() || "*-_".contains(c)));
    assert_eq!(verify(&sig, APPID, KEY, "xiaojun", T0).unwrap().expires_at(), T0 + 15_552_000);
}

#[test]
fn non_ascii_identifiers_round_trip() {
    let sig = issue(APPID, KEY, "主播01", 60, T0);
    assert_eq!(verify(&sig, APPID, KEY, "主播01", T0).unwrap().identifier, "主播01");
}

#[test]
fn padding_may_be_stripped() {
    let stripped = PY_SIG.trim_end_matches('_');
    assert!(verify(stripped, APPID, KEY, "xiaojun", T0).is_ok());
}

#[test]
fn failures_map_to_their_codes() {
    let now = T0 + 1;
    let cases: Vec<(String, u64, &str, &str, u32)> = vec![
        (String::new(), APPID, KEY, "xiaojun", 70002),
        (PY_SIG[..PY_SIG.len() / 2].to_owned(), APPID, KEY, "xiaojun", 70003),
        ("not*a*sig".to_owned(), APPID, KEY, "xiaojun", 70003),
        (PY_SIG.to_owned(), APPID, "another-secret", "xiaojun", 70005),
        (PY_SIG.to_owned(), APPID, KEY, "someone-else", 70013),
        (PY_SIG.to_owned(), APPID + 1, KEY, "xiaojun", 70014),
    ];
    for (sig, appid, key, who, code) in cases {
        let err = verify(&sig, appid, key, who, now).unwrap_err();
        assert_eq!(err.code(), code, "{sig:?} for {who} gave {err}");
    }
}

#[test]
fn tampered_fields_fail_the_signature() {
    // Re-encode the Python vector's JSON with a longer expiry but the original TLS.sig.
    let mut doc = decode(PY_SIG).unwrap();
    doc.insert("TLS.expire".into(), serde_json::json!(99_999_999));
    let json = serde_json::to_vec(&doc).unwrap();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut z, &json).unwrap();
    let forged: String = STANDARD.encode(z.finish().unwrap()).replace('+', "*").replace('/', "-").replace('=', "_");
    assert_eq!(verify(&forged, APPID, KEY, "xiaojun", T0).unwrap_err(), SigError::BadSignature);
}

#[test]
fn zip_bombs_are_refused_before_parsing() {
    let huge = vec![b' '; 1 << 20];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &huge).unwrap();
    let bomb: String = STANDARD.encode(z.finish().unwrap()).replace('+', "*").replace('/', "-").replace('=', "_");
    assert!(bomb.len() < MAX_SIG_CHARS);
    assert_eq!(
        verify(&bomb, APPID, KEY, "xiaojun", T0).unwrap_err(),
        SigError::Malformed("inflates beyond the size limit")
    );
}

#[test]
fn truncated_tokens_fail_and_leave_the_next_token_unaffected() {
    // The thread's decompressor is reused: a failed inflate must not spoil the next one.
    let compressed = LENIENT_B64.decode(PY_SIG.replace('*', "+").replace('-', "/").replace('_', "=")).unwrap();
    let half: String =
        STANDARD.encode(&compressed[..compressed.len() / 2]).replace('+', "*").replace('/', "-").replace('=', "_");
    assert_eq!(
        verify(&half, APPID, KEY, "xiaojun", T0).unwrap_err(),
        SigError::Malformed("not zlib data (truncated?)")
    );
    assert_eq!(
        verify("eJwrzs9NVSjISczMUyhJrSgBAC4tBc4_", APPID, KEY, "xiaojun", T0).unwrap_err(),
        SigError::Malformed("not a JSON object")
    );
    assert!(verify(PY_SIG, APPID, KEY, "xiaojun", T0 + 10).is_ok());
}

#[test]
fn documents_larger_than_the_first_buffer_inflate() {
    let doc = serde_json::json!({"TLS.ver": "2.0", "pad": "x".repeat(10_000)});
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, doc.to_string().as_bytes()).unwrap();
    let token = STANDARD.encode(z.finish().unwrap()).replace('+', "*").replace('/', "-").replace('=', "_");
    assert_eq!(decode(&token).unwrap()["pad"].as_str().unwrap().len(), 10_000);
}
