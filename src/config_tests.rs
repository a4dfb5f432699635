use super::*;

#[test]
fn example_file_parses_and_equals_the_defaults() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/roomcast.example.toml")).unwrap();
    assert_eq!(Config::from_toml(&text).unwrap(), Config::default());
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = Config::from_toml("[app]\nsdkappid = 1400000001\nadmins = []\n[rest]\nrate_limit_per_sec = 0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("secret_key is not"), "{err}");
    assert!(err.contains("1 to 5 accounts"), "{err}");
    assert!(err.contains("rate_limit_per_sec"), "{err}");
}

#[test]
fn unknown_keys_are_refused() {
    assert!(Config::from_toml("listn = \"1.2.3.4:5\"").is_err());
}

#[test]
fn environment_overrides_the_file() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("rc.toml", "listen = \"127.0.0.1:9000\"\n[rest]\nrate_limit_per_sec = 7\n")?;
        jail.set_env("ROOMCAST_LISTEN", "127.0.0.1:9100");
        jail.set_env("ROOMCAST_ADMINS", "boss, ops");
        jail.set_env("ROOMCAST_SDKAPPID", "1400000123");
        jail.set_env("ROOMCAST_SECRET_KEY", "k");
        jail.set_env("ROOMCAST__REST__BODY_LIMIT_BYTES", "4096");
        let c = Config::load(Some(Path::new("rc.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.app.admins, vec!["boss", "ops"]);
        assert_eq!(c.app.sdkappid, Some(1_400_000_123));
        assert_eq!(c.rest.rate_limit_per_sec, 7);
        assert_eq!(c.rest.body_limit_bytes, 4096);
        Ok(())
    });
}
